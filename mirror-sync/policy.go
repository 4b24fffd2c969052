package mirrorsync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/metalinkd/metalinkd/internal/cloudranges"
)

// ipRanges is AWS's ip-ranges.json, reduced to its EC2 prefixes.
type ipRanges struct {
	SyncToken string
	ranges    []cloudranges.Range
}

// loadIPRanges reads ip-ranges.json from a path or an http(s) URL.
func loadIPRanges(ctx context.Context, loc string, hc *http.Client) (*ipRanges, error) {
	if loc == "" {
		return nil, configError("ip_ranges is not configured")
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	var r io.ReadCloser
	if strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://") {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
		if err != nil {
			return nil, fmt.Errorf("ip-ranges: %w", err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("ip-ranges: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("ip-ranges %s: HTTP %d", loc, resp.StatusCode)
		}
		r = resp.Body
	} else {
		f, err := os.Open(loc)
		if err != nil {
			return nil, configError("ip-ranges: %v", err)
		}
		r = f
	}
	defer r.Close()
	src, ranges, err := cloudranges.ParseAWS(r)
	if err != nil {
		return nil, configError("%s: %v", loc, err)
	}
	return &ipRanges{SyncToken: src.SyncToken, ranges: ranges}, nil
}

// ec2 returns the region's EC2 prefixes (IPv4 then IPv6), sorted, each once.
func (ir *ipRanges) ec2(region string) []string {
	var v4, v6 []string
	for _, r := range ir.ranges {
		if r.Region != region {
			continue
		}
		if strings.Contains(r.Prefix, ":") {
			v6 = append(v6, r.Prefix)
		} else {
			v4 = append(v4, r.Prefix)
		}
	}
	slices.Sort(v4)
	slices.Sort(v6)
	return append(slices.Compact(v4), slices.Compact(v6)...)
}

// policy is an AWS policy document (bucket or IAM).
type policy struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

// statement is one statement of a policy.
type statement struct {
	Sid       string                    `json:"Sid"`
	Effect    string                    `json:"Effect"`
	Principal any                       `json:"Principal,omitempty"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

const policyVersion = "2012-10-17"

// sidPrefix starts the Sid that carries the inputs' fingerprint, so that
// provision can tell whether the applied policy is the one it would write.
const sidPrefix = "AllowReadsFromRegionEC2Sync"

var sidFingerprint = regexp.MustCompile(`^` + sidPrefix + `([A-Za-z0-9]+)$`)

// objectsARN is the ARN of every object under the region's prefix.
func objectsARN(r *region) string {
	if r.Prefix == "" {
		return "arn:aws:s3:::" + r.Bucket + "/*"
	}
	return "arn:aws:s3:::" + r.Bucket + "/" + r.Prefix + "/*"
}

// bucketPolicy allows anonymous reads of the region's objects only from
// inside the region, through a VPC endpoint or from the region's EC2
// prefixes (S3 sees public addresses, never 10.x), and denies every other
// read. Its first Sid fingerprints the syncToken and every input.
func bucketPolicy(r *region, ir *ipRanges) (*policy, error) {
	prefixes := ir.ec2(r.Name)
	if len(prefixes) == 0 {
		return nil, configError("ip-ranges %s lists no EC2 prefix for region %s", ir.SyncToken, r.Name)
	}
	obj := []string{objectsARN(r)}
	read := []string{"s3:GetObject"}
	p := &policy{Version: policyVersion}
	p.Statement = append(p.Statement, statement{Effect: "Allow", Principal: "*", Action: read, Resource: obj,
		Condition: map[string]map[string]any{"IpAddress": {"aws:SourceIp": prefixes}}})
	deny := map[string]map[string]any{"NotIpAddress": {"aws:SourceIp": prefixes}}
	if !r.NoVPCEndpoints {
		vpce := statement{Sid: "AllowReadsThroughVPCEndpoints", Effect: "Allow", Principal: "*", Action: read, Resource: obj}
		switch {
		case len(r.VPCEndpoints) > 0 || len(r.VPCs) > 0:
			ids := map[string]any{}
			if len(r.VPCEndpoints) > 0 {
				ids["aws:SourceVpce"] = r.VPCEndpoints
			}
			if len(r.VPCs) > 0 {
				ids["aws:SourceVpc"] = r.VPCs
			}
			// Each listed kind is its own Allow (keys in one block are ANDed).
			for k, v := range ids {
				s := vpce
				s.Sid = "AllowReadsThrough" + strings.TrimPrefix(k, "aws:Source")
				s.Condition = map[string]map[string]any{"StringEquals": {k: v}}
				p.Statement = append(p.Statement, s)
			}
			deny["StringNotEquals"] = ids
		default:
			// An S3 gateway endpoint only reaches buckets of its own region.
			vpce.Condition = map[string]map[string]any{"Null": {"aws:SourceVpce": "false"}}
			p.Statement = append(p.Statement, vpce)
			deny["Null"] = map[string]any{"aws:SourceVpce": "true"}
		}
	}
	if len(r.SyncPrincipals) > 0 {
		deny["ArnNotEquals"] = map[string]any{"aws:PrincipalArn": r.SyncPrincipals}
	}
	p.Statement = append(p.Statement, statement{Sid: "DenyReadsFromOutsideRegion", Effect: "Deny", Principal: "*",
		Action: read, Resource: obj, Condition: deny})
	slices.SortStableFunc(p.Statement[1:len(p.Statement)-1], func(a, b statement) int { return strings.Compare(a.Sid, b.Sid) })
	p.Statement[0].Sid = sidPrefix + ir.SyncToken + "Cfg" + fingerprint(p)
	return p, nil
}

// fingerprint is a short hash of a policy's statements, its first Sid aside.
func fingerprint(p *policy) string {
	raw, _ := json.Marshal(p)
	s := sha256.Sum256(raw)
	return hex.EncodeToString(s[:6])
}

// policySid returns the fingerprint Sid of an applied bucket policy, or "".
func policySid(raw string) string {
	var p policy
	if json.Unmarshal([]byte(raw), &p) != nil {
		return ""
	}
	for _, s := range p.Statement {
		if sidFingerprint.MatchString(s.Sid) {
			return s.Sid
		}
	}
	return ""
}

// syncIdentityPolicy is the IAM policy of a region's sync identity: list
// the bucket under its prefix, and get, put and delete objects there.
func syncIdentityPolicy(r *region) *policy {
	list := statement{Sid: "ListOwnPrefix", Effect: "Allow", Action: []string{"s3:ListBucket"},
		Resource: []string{"arn:aws:s3:::" + r.Bucket}}
	if r.Prefix != "" {
		list.Condition = map[string]map[string]any{"StringLike": {"s3:prefix": []string{r.Prefix + "/*"}}}
	}
	return &policy{Version: policyVersion, Statement: []statement{list, {
		Sid: "ReadWriteOwnObjects", Effect: "Allow",
		Action:   []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
		Resource: []string{objectsARN(r)},
	}}}
}

package mirrorsync

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
)

const ipRangesFixture = `{"syncToken":"%s","createDate":"2026-03-01-12-00-00","prefixes":[
 {"ip_prefix":"%s","region":"us-east-1","service":"EC2","network_border_group":"us-east-1"},
 {"ip_prefix":"3.0.0.0/15","region":"us-east-1","service":"AMAZON","network_border_group":"us-east-1"},
 {"ip_prefix":"3.5.0.0/19","region":"eu-west-1","service":"EC2","network_border_group":"eu-west-1"},
 {"ip_prefix":"44.192.0.0/11","region":"us-east-1","service":"EC2","network_border_group":"us-east-1"}],
 "ipv6_prefixes":[{"ipv6_prefix":"2600:1f18::/33","region":"us-east-1","service":"EC2","network_border_group":"us-east-1"}]}`

func writeIPRanges(t *testing.T, token, prefix string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "ip-ranges.json")
	if err := os.WriteFile(f, []byte(fmt.Sprintf(ipRangesFixture, token, prefix)), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// roundTrip marshals a policy and parses it back as plain JSON values.
func roundTrip(t *testing.T, p *policy) map[string]any {
	t.Helper()
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBucketPolicyStatements(t *testing.T) {
	ir, err := loadIPRanges(context.Background(), writeIPRanges(t, "1700000000", "52.0.0.0/15"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ips := []any{"44.192.0.0/11", "52.0.0.0/15", "2600:1f18::/33"}
	obj := []any{"arn:aws:s3:::b/pub/fedora/*"}
	read := []any{"s3:GetObject"}
	allow := func(sid string, cond map[string]any) map[string]any {
		return map[string]any{"Sid": sid, "Effect": "Allow", "Principal": "*", "Action": read, "Resource": obj, "Condition": cond}
	}
	ipAllow := map[string]any{"IpAddress": map[string]any{"aws:SourceIp": ips}}
	tests := []struct {
		name   string
		region region
		want   []map[string]any // the first statement's Sid is checked apart
	}{
		{"any VPC endpoint", region{Name: "us-east-1", Bucket: "b", Prefix: "pub/fedora"}, []map[string]any{
			allow("", ipAllow),
			allow("AllowReadsThroughVPCEndpoints", map[string]any{"Null": map[string]any{"aws:SourceVpce": "false"}}),
			{"Sid": "DenyReadsFromOutsideRegion", "Effect": "Deny", "Principal": "*", "Action": read, "Resource": obj, "Condition": map[string]any{
				"NotIpAddress": map[string]any{"aws:SourceIp": ips}, "Null": map[string]any{"aws:SourceVpce": "true"}}},
		}},
		{"listed endpoints and VPCs, sync principal", region{Name: "us-east-1", Bucket: "b", Prefix: "pub/fedora",
			VPCEndpoints: []string{"vpce-1a2b"}, VPCs: []string{"vpc-9z"}, SyncPrincipals: []string{"arn:aws:iam::1:role/sync"}}, []map[string]any{
			allow("", ipAllow),
			allow("AllowReadsThroughVpc", map[string]any{"StringEquals": map[string]any{"aws:SourceVpc": []any{"vpc-9z"}}}),
			allow("AllowReadsThroughVpce", map[string]any{"StringEquals": map[string]any{"aws:SourceVpce": []any{"vpce-1a2b"}}}),
			{"Sid": "DenyReadsFromOutsideRegion", "Effect": "Deny", "Principal": "*", "Action": read, "Resource": obj, "Condition": map[string]any{
				"NotIpAddress":    map[string]any{"aws:SourceIp": ips},
				"StringNotEquals": map[string]any{"aws:SourceVpce": []any{"vpce-1a2b"}, "aws:SourceVpc": []any{"vpc-9z"}},
				"ArnNotEquals":    map[string]any{"aws:PrincipalArn": []any{"arn:aws:iam::1:role/sync"}}}},
		}},
		{"no VPC endpoints", region{Name: "us-east-1", Bucket: "b", Prefix: "pub/fedora", NoVPCEndpoints: true}, []map[string]any{
			allow("", ipAllow),
			{"Sid": "DenyReadsFromOutsideRegion", "Effect": "Deny", "Principal": "*", "Action": read, "Resource": obj, "Condition": map[string]any{
				"NotIpAddress": map[string]any{"aws:SourceIp": ips}}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := bucketPolicy(&tc.region, ir)
			if err != nil {
				t.Fatal(err)
			}
			got := roundTrip(t, p)
			if got["Version"] != "2012-10-17" {
				t.Errorf("Version = %v", got["Version"])
			}
			stmts := got["Statement"].([]any)
			sid := stmts[0].(map[string]any)["Sid"].(string)
			if !strings.HasPrefix(sid, sidPrefix+"1700000000Cfg") || policySid(mustJSON(t, p)) != sid {
				t.Errorf("first Sid %q does not carry the syncToken and fingerprint", sid)
			}
			stmts[0].(map[string]any)["Sid"] = ""
			want := make([]any, len(tc.want))
			for i := range tc.want {
				want[i] = tc.want[i]
			}
			if diff := cmp.Diff(want, stmts); diff != "" {
				t.Errorf("statements (-want +got):\n%s", diff)
			}
		})
	}

	other, _ := loadIPRanges(context.Background(), writeIPRanges(t, "1700000001", "52.0.0.0/15"), nil)
	r := region{Name: "us-east-1", Bucket: "b", Prefix: "pub/fedora"}
	p1, _ := bucketPolicy(&r, ir)
	p2, _ := bucketPolicy(&r, other)
	if p1.Statement[0].Sid == p2.Statement[0].Sid {
		t.Error("a new syncToken did not change the policy's Sid")
	}
	if _, err := bucketPolicy(&region{Name: "ap-south-2", Bucket: "b"}, ir); err == nil {
		t.Error("a region without EC2 prefixes gave a policy")
	}
}

func TestSyncIdentityPolicy(t *testing.T) {
	tests := []struct {
		name   string
		region region
		list   map[string]any
		object string
	}{
		{"prefix", region{Name: "us-east-1", Bucket: "b", Prefix: "pub/fedora"},
			map[string]any{"StringLike": map[string]any{"s3:prefix": []any{"pub/fedora/*"}}}, "arn:aws:s3:::b/pub/fedora/*"},
		{"whole bucket", region{Name: "us-east-1", Bucket: "b"}, nil, "arn:aws:s3:::b/*"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := roundTrip(t, syncIdentityPolicy(&tc.region))
			list := map[string]any{"Sid": "ListOwnPrefix", "Effect": "Allow", "Action": []any{"s3:ListBucket"}, "Resource": []any{"arn:aws:s3:::b"}}
			if tc.list != nil {
				list["Condition"] = tc.list
			}
			want := map[string]any{"Version": "2012-10-17", "Statement": []any{list, map[string]any{
				"Sid": "ReadWriteOwnObjects", "Effect": "Allow",
				"Action":   []any{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
				"Resource": []any{tc.object}}}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("IAM policy (-want +got):\n%s", diff)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// anonymousGet reads a URL without credentials from a given loopback address.
func anonymousGet(t *testing.T, from, url string) int {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s from %s: %v", url, from, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestProvisionOnVersity creates the bucket, applies the policy, checks that
// it lets 127.0.0.1 (the fixture region's "EC2 prefix") read and refuses
// 127.0.0.2, leaves a current policy alone and rewrites it for a new
// syncToken. The gateway does not know aws:SourceVpce, so the region is
// configured without VPC endpoints here.
func TestProvisionOnVersity(t *testing.T) {
	gw := startVersity(t)
	useProfile(t, "mirror-test")
	ranges := writeIPRanges(t, "1700000000", "127.0.0.1/32")
	cfgFile := filepath.Join(t.TempDir(), "c.yaml")
	yml := fmt.Sprintf("source: %s\nip_ranges: %s\nbucket_template: \"fedora-{region}\"\nregions:\n  - region: us-east-1\n    prefix: pub\n    profile: mirror-test\n    mirror: m\n    endpoint: %s\n    path_style: true\n    no_vpc_endpoints: true\n",
		t.TempDir(), ranges, gw.Endpoint)
	if err := os.WriteFile(cfgFile, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := Main(context.Background(), Env{Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errb},
			append([]string{"provision", "--config", cfgFile, "--region", "us-east-1"}, args...))
		return code, out.String() + errb.String()
	}
	code, out := run("--dry-run")
	if code != exitOK || !strings.Contains(out, "# bucket policy of fedora-us-east-1") || !strings.Contains(out, "ListOwnPrefix") {
		t.Fatalf("dry run: %d\n%s", code, out)
	}
	if _, err := adminS3(gw.Endpoint).HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String("fedora-us-east-1")}); err == nil {
		t.Fatal("dry run created the bucket")
	}

	cfg, err := loadConfig(cfgFile, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	res, err := provision(context.Background(), cfg, &cfg.Regions[0], false, log)
	if err != nil || !res.Created || !res.PolicyApplied {
		t.Fatalf("provision: %+v %v", res, err)
	}
	if _, err := adminS3(gw.Endpoint).PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("fedora-us-east-1"),
		Key: aws.String("pub/hello.txt"), Body: strings.NewReader("hello")}); err != nil {
		t.Fatal(err)
	}
	url := gw.Endpoint + "/fedora-us-east-1/pub/hello.txt"
	if got := anonymousGet(t, "127.0.0.1", url); got != http.StatusOK {
		t.Errorf("read from inside the region: %d, want 200", got)
	}
	if got := anonymousGet(t, "127.0.0.2", url); got != http.StatusForbidden {
		t.Errorf("read from outside the region: %d, want 403", got)
	}

	res, err = provision(context.Background(), cfg, &cfg.Regions[0], false, log)
	if err != nil || res.Created || res.PolicyApplied {
		t.Fatalf("second provision should change nothing: %+v %v", res, err)
	}
	cfg.IPRanges = writeIPRanges(t, "1700000099", "127.0.0.2/32")
	res, err = provision(context.Background(), cfg, &cfg.Regions[0], false, log)
	if err != nil || !res.PolicyApplied {
		t.Fatalf("provision after a new syncToken: %+v %v", res, err)
	}
	if got := anonymousGet(t, "127.0.0.2", url); got != http.StatusOK {
		t.Errorf("after the new ranges, read from 127.0.0.2: %d, want 200", got)
	}
}

package clientinit

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/metalinkd/metalinkd/internal/location"
)

// awsTokenTTL is the life of an IMDSv2 session token in seconds: one run
// needs it for well under a second, so it is kept short.
const awsTokenTTL = "60"

// errNotFound reports a 404 for a metadata path the service may lack.
var errNotFound = errors.New("not found")

// awsIMDS asks EC2's instance metadata service: IMDSv2 (a session token
// from PUT /latest/api/token), or IMDSv1 (no token) only when allowed.
type awsIMDS struct {
	client   *metadataClient
	endpoint string
	allowV1  bool
}

func (a awsIMDS) placement(ctx context.Context) (placement, error) {
	token, err := a.token(ctx)
	if err != nil {
		return placement{}, err
	}
	region, err := a.get(ctx, token, "placement/region")
	if errors.Is(err, errNotFound) {
		region, err = a.regionFromZone(ctx, token)
	}
	if err != nil {
		return placement{}, err
	}
	if !location.Valid(region) {
		return placement{}, badAnswer("aws", "placement/region", fmt.Errorf("%q is not a region name", region))
	}
	return placement{Provider: "aws", Region: region}, nil
}

// token returns an IMDSv2 session token, or "" when the service refuses
// tokens and IMDSv1 is allowed.
func (a awsIMDS) token(ctx context.Context) (string, error) {
	h := http.Header{"X-Aws-Ec2-Metadata-Token-Ttl-Seconds": {awsTokenTTL}}
	ans, err := a.client.do(ctx, "aws", http.MethodPut, a.endpoint+"/latest/api/token", h)
	if err != nil {
		return "", err
	}
	if ans.status != http.StatusOK {
		if a.allowV1 {
			return "", nil
		}
		return "", absent("aws", "IMDSv2 token refused (HTTP %d) and IMDSv1 is not allowed", ans.status)
	}
	token, err := ans.text()
	if err != nil {
		return "", badAnswer("aws", "api/token", err)
	}
	return token, nil
}

// get reads one path under /latest/meta-data/. Once a token was granted the
// service is known to be EC2's, so a failure is a bad answer; without one
// (IMDSv1) a failure means the service is not EC2's.
func (a awsIMDS) get(ctx context.Context, token, path string) (string, error) {
	h := http.Header{}
	if token != "" {
		h.Set("X-Aws-Ec2-Metadata-Token", token)
	}
	ans, err := a.client.do(ctx, "aws", http.MethodGet, a.endpoint+"/latest/meta-data/"+path, h)
	switch {
	case err != nil:
		return "", err
	case ans.status == http.StatusNotFound:
		return "", errNotFound
	case ans.status != http.StatusOK && token == "":
		return "", absent("aws", "GET %s: HTTP %d", path, ans.status)
	case ans.status != http.StatusOK:
		return "", badAnswer("aws", path, fmt.Errorf("HTTP %d", ans.status))
	}
	text, err := ans.text()
	if err != nil {
		return "", badAnswer("aws", path, err)
	}
	return text, nil
}

// regionFromZone serves services without placement/region: the region is
// the availability zone without its letter (us-east-1a is in us-east-1).
func (a awsIMDS) regionFromZone(ctx context.Context, token string) (string, error) {
	const path = "placement/availability-zone"
	zone, err := a.get(ctx, token, path)
	if errors.Is(err, errNotFound) {
		return "", absent("aws", "neither placement/region nor %s found", path)
	}
	if err != nil {
		return "", err
	}
	n := len(zone)
	if n < 3 || zone[n-1] < 'a' || zone[n-1] > 'z' || zone[n-2] < '0' || zone[n-2] > '9' {
		return "", badAnswer("aws", path, fmt.Errorf("%q is not a zone name", zone))
	}
	return zone[:n-1], nil
}

package clientinit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/metalinkd/metalinkd/internal/location"
)

// gcpMetadata asks Google Compute Engine's metadata server for the zone
// (projects/NUMBER/zones/us-central1-a); the region is the zone without
// its last dash-separated part.
type gcpMetadata struct {
	client   *metadataClient
	endpoint string
}

func (g gcpMetadata) placement(ctx context.Context) (placement, error) {
	const path = "instance/zone"
	h := http.Header{"Metadata-Flavor": {"Google"}}
	ans, err := g.client.do(ctx, "gcp", http.MethodGet, g.endpoint+"/computeMetadata/v1/"+path, h)
	if err != nil {
		return placement{}, err
	}
	// Google's server marks every answer; without the mark it is not Google's.
	google := ans.header.Get("Metadata-Flavor") == "Google"
	switch {
	case ans.status != http.StatusOK && !google:
		return placement{}, absent("gcp", "GET %s: HTTP %d", path, ans.status)
	case ans.status != http.StatusOK:
		return placement{}, badAnswer("gcp", path, fmt.Errorf("HTTP %d", ans.status))
	case !google:
		return placement{}, badAnswer("gcp", path, errors.New("answer lacks Metadata-Flavor: Google"))
	}
	text, err := ans.text()
	if err != nil {
		return placement{}, badAnswer("gcp", path, err)
	}
	zone := text[strings.LastIndexByte(text, '/')+1:]
	cut := strings.LastIndexByte(zone, '-')
	if !location.Valid(zone) || cut <= 0 || !location.Valid(zone[:cut]) {
		return placement{}, badAnswer("gcp", path, fmt.Errorf("%q is not a zone name", text))
	}
	return placement{Provider: "gcp", Region: zone[:cut]}, nil
}

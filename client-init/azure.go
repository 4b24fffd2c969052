package clientinit

import (
	"context"
	"fmt"
	"net/http"

	"github.com/metalinkd/metalinkd/internal/location"
)

// azureAPIVersion is a stable version of Azure's Instance Metadata Service
// API that has compute/location.
const azureAPIVersion = "2021-02-01"

// azureIMDS asks Azure's Instance Metadata Service for the compute
// location (the region, such as "westeurope").
type azureIMDS struct {
	client   *metadataClient
	endpoint string
}

func (a azureIMDS) placement(ctx context.Context) (placement, error) {
	const path = "instance/compute/location"
	url := a.endpoint + "/metadata/" + path + "?api-version=" + azureAPIVersion + "&format=text"
	ans, err := a.client.do(ctx, "azure", http.MethodGet, url, http.Header{"Metadata": {"true"}})
	if err != nil {
		return placement{}, err
	}
	if ans.status != http.StatusOK {
		return placement{}, absent("azure", "GET %s: HTTP %d", path, ans.status)
	}
	region, err := ans.text()
	if err != nil {
		return placement{}, badAnswer("azure", path, err)
	}
	if !location.Valid(region) {
		return placement{}, badAnswer("azure", path, fmt.Errorf("%q is not a region name", region))
	}
	return placement{Provider: "azure", Region: region}, nil
}

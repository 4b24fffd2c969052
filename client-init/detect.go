package clientinit

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// provider asks one cloud's metadata service where the guest runs. Its
// error wraps errNoMetadata when the service is not there and errBadAnswer
// when it answered with something that is not a region.
type provider interface {
	placement(ctx context.Context) (placement, error)
}

// providers returns the metadata services that cfg.Provider names.
func (cfg config) providers() []provider {
	c := newMetadataClient()
	all := map[string]provider{
		"aws":   awsIMDS{client: c, endpoint: cfg.AWSEndpoint, allowV1: cfg.AllowIMDSv1},
		"gcp":   gcpMetadata{client: c, endpoint: cfg.GCPEndpoint},
		"azure": azureIMDS{client: c, endpoint: cfg.AzureEndpoint},
	}
	if cfg.Provider != "auto" {
		return []provider{all[cfg.Provider]}
	}
	return []provider{all["aws"], all["gcp"], all["azure"]}
}

// detect asks all providers at once, so that a guest outside any cloud
// waits for one deadline rather than one per cloud. The first placement
// wins: only one cloud's service can answer for its own protocol. With
// none, a bad answer is reported over an absent service, since it tells
// the operator more.
func detect(ctx context.Context, providers []provider) (placement, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		placement placement
		err       error
	}
	results := make(chan result, len(providers))
	for _, p := range providers {
		go func() {
			pl, err := p.placement(ctx)
			results <- result{pl, err}
		}()
	}
	var bad error
	var reasons []string
	for range providers {
		r := <-results
		switch {
		case r.err == nil:
			return r.placement, nil
		case errors.Is(r.err, errBadAnswer) && bad == nil:
			bad = r.err
		case !errors.Is(r.err, errBadAnswer):
			reasons = append(reasons, r.err.Error())
		}
	}
	if bad != nil {
		return placement{}, bad
	}
	sort.Strings(reasons)
	return placement{}, fmt.Errorf("%w (%s)", errNoMetadata, strings.Join(reasons, "; "))
}

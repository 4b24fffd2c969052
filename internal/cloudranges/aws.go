// Package cloudranges reads the address ranges that cloud providers
// publish, such as AWS's ip-ranges.json, for selection step 2 (a client
// inside a region's ranges gets that region's mirrors) and for the bucket
// policies of regional mirrors.
package cloudranges

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/metalinkd/metalinkd/internal/location"
	"github.com/metalinkd/metalinkd/store"
)

// ProviderAWS names AWS's ranges.
const ProviderAWS = "aws"

// maxDocument bounds what is read; AWS's file is about 2 MB.
const maxDocument = 64 << 20

// AWSDocument is the part of ip-ranges.json that is used.
type AWSDocument struct {
	SyncToken  string `json:"syncToken"`
	CreateDate string `json:"createDate"`
	Prefixes   []struct {
		IPPrefix string `json:"ip_prefix"`
		Region   string `json:"region"`
		Service  string `json:"service"`
	} `json:"prefixes"`
	IPv6Prefixes []struct {
		IPv6Prefix string `json:"ipv6_prefix"`
		Region     string `json:"region"`
		Service    string `json:"service"`
	} `json:"ipv6_prefixes"`
}

// ParseAWS reads ip-ranges.json and returns its EC2 ranges (the addresses
// guests use), IPv4 and IPv6, with the file's syncToken. Entries whose
// prefix or region does not parse make it fail: a damaged file must not
// replace good ranges.
func ParseAWS(r io.Reader) (store.CloudSource, []store.CloudRange, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return store.CloudSource{}, nil, err
	}
	if len(b) > maxDocument {
		return store.CloudSource{}, nil, errors.New("ip-ranges: document too large")
	}
	var doc AWSDocument
	if err := json.Unmarshal(b, &doc); err != nil {
		return store.CloudSource{}, nil, fmt.Errorf("ip-ranges: %w", err)
	}
	if doc.SyncToken == "" {
		return store.CloudSource{}, nil, errors.New("ip-ranges: no syncToken; is this AWS's ip-ranges.json?")
	}
	var out []store.CloudRange
	add := func(i int, prefix, region, service string) error {
		if service != "EC2" {
			return nil
		}
		p, err := store.ParseNetblock(prefix)
		if err != nil {
			return fmt.Errorf("ip-ranges: entry %d: %w", i, err)
		}
		if !location.Valid(region) {
			return fmt.Errorf("ip-ranges: entry %d: region %q is not a region id", i, region)
		}
		out = append(out, store.CloudRange{Prefix: p.String(), Provider: ProviderAWS, Region: region})
		return nil
	}
	for i, e := range doc.Prefixes {
		if err := add(i, e.IPPrefix, e.Region, e.Service); err != nil {
			return store.CloudSource{}, nil, err
		}
	}
	for i, e := range doc.IPv6Prefixes {
		if err := add(i, e.IPv6Prefix, e.Region, e.Service); err != nil {
			return store.CloudSource{}, nil, err
		}
	}
	if len(out) == 0 {
		return store.CloudSource{}, nil, errors.New("ip-ranges: no EC2 prefixes")
	}
	return store.CloudSource{Provider: ProviderAWS, SyncToken: doc.SyncToken}, out, nil
}

// Regions returns how many ranges each region has, sorted by region.
func Regions(ranges []store.CloudRange) []RegionCount {
	n := map[string]int{}
	for _, r := range ranges {
		n[r.Region]++
	}
	out := make([]RegionCount, 0, len(n))
	for r, c := range n {
		out = append(out, RegionCount{Region: r, Ranges: c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Region < out[j].Region })
	return out
}

// RegionCount is a region and its number of ranges.
type RegionCount struct {
	Region string
	Ranges int
}

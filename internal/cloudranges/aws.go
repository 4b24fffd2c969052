// Package cloudranges reads the address ranges that cloud providers
// publish, such as AWS's ip-ranges.json, for selection step 2 (a client
// inside a region's ranges gets that region's mirrors) and for the bucket
// policies of regional mirrors. It has its own types so that its users need
// not link the store: the server converts them to store types.
package cloudranges

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/metalinkd/metalinkd/internal/location"
)

// ProviderAWS names AWS's ranges.
const ProviderAWS = "aws"

// maxDocument bounds what is read; AWS's file is about 2 MB.
const maxDocument = 64 << 20

// Source is the version of a provider's published ranges.
type Source struct {
	Provider  string
	SyncToken string
}

// Range is one address range of a provider's region.
type Range struct {
	Prefix   string // canonical CIDR, such as "192.0.2.0/24" or "2001:db8::/32"
	Provider string
	Region   string
}

// awsDocument is the part of ip-ranges.json that is used.
type awsDocument struct {
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
func ParseAWS(r io.Reader) (Source, []Range, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return Source{}, nil, err
	}
	if len(b) > maxDocument {
		return Source{}, nil, errors.New("ip-ranges: document too large")
	}
	var doc awsDocument
	if err := json.Unmarshal(b, &doc); err != nil {
		return Source{}, nil, fmt.Errorf("ip-ranges: %w", err)
	}
	if doc.SyncToken == "" {
		return Source{}, nil, errors.New("ip-ranges: no syncToken; is this AWS's ip-ranges.json?")
	}
	var out []Range
	add := func(i int, prefix, region, service string) error {
		if service != "EC2" {
			return nil
		}
		p, err := parsePrefix(prefix)
		if err != nil {
			return fmt.Errorf("ip-ranges: entry %d: %w", i, err)
		}
		if !location.Valid(region) {
			return fmt.Errorf("ip-ranges: entry %d: region %q is not a region id", i, region)
		}
		out = append(out, Range{Prefix: p.String(), Provider: ProviderAWS, Region: region})
		return nil
	}
	for i, e := range doc.Prefixes {
		if err := add(i, e.IPPrefix, e.Region, e.Service); err != nil {
			return Source{}, nil, err
		}
	}
	for i, e := range doc.IPv6Prefixes {
		if err := add(i, e.IPv6Prefix, e.Region, e.Service); err != nil {
			return Source{}, nil, err
		}
	}
	if len(out) == 0 {
		return Source{}, nil, errors.New("ip-ranges: no EC2 prefixes")
	}
	return Source{Provider: ProviderAWS, SyncToken: doc.SyncToken}, out, nil
}

// parsePrefix reads a CIDR netblock, or a bare address as its one-address
// block, and refuses host bits, with the store's netblock grammar and words
// so that an import fails here exactly as the store would refuse it.
func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR netblock", s)
		}
		return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR netblock", s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("%q has host bits set; did you mean %s?", s, p.Masked())
	}
	return p, nil
}

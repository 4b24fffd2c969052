package store

import (
	"fmt"
	"slices"
	"strings"
)

// NetblockCountry treats clients inside Netblock as clients of Country,
// before GeoIP is asked (MirrorManager's netblock_country).
type NetblockCountry struct {
	Netblock string `json:"netblock" yaml:"netblock"`
	Country  string `json:"country" yaml:"country"`
}

// CountryContinent puts Country on Continent instead of the continent
// table's choice, for its clients and its mirrors alike (MirrorManager's
// country_continent_redirect, e.g. IL to EU).
type CountryContinent struct {
	Country   string `json:"country" yaml:"country"`
	Continent string `json:"continent" yaml:"continent"`
}

// Overrides are the dataset-level lists an admin replaces as a whole.
type Overrides struct {
	NetblockCountries []NetblockCountry  `json:"netblock_countries"`
	CountryContinents []CountryContinent `json:"country_continents"`
}

// Continents are the continent codes of MirrorManager's table.
var Continents = []string{"AF", "AN", "AS", "EU", "NA", "OC", "SA"}

// ServesIPv4 reports whether the mirror is reachable over IPv4 (the
// default when the admin said nothing).
func (m *Mirror) ServesIPv4() bool { return m.IPv4 == nil || *m.IPv4 }

// ServesIPv6 reports whether the mirror is reachable over IPv6.
func (m *Mirror) ServesIPv6() bool { return m.IPv6 == nil || *m.IPv6 }

// Bool returns a pointer to b, for the optional flags of Mirror.
func Bool(b bool) *bool { return &b }

// normalizeFamily stores the default (true) as nil, so that a mirror says
// only what differs from it and two spellings of one mirror compare equal.
func normalizeFamily(p **bool) {
	if *p != nil && **p {
		*p = nil
	}
}

// NormalizeOverrides puts the override lists in canonical form: upper-case
// codes, netblocks in CIDR form, sorted by key.
func NormalizeOverrides(nc []NetblockCountry, cc []CountryContinent) {
	for i := range nc {
		nc[i].Country = strings.ToUpper(nc[i].Country)
		if p, err := ParseNetblock(nc[i].Netblock); err == nil {
			nc[i].Netblock = p.String()
		}
	}
	slices.SortFunc(nc, func(a, b NetblockCountry) int { return strings.Compare(a.Netblock, b.Netblock) })
	for i := range cc {
		cc[i].Country = strings.ToUpper(cc[i].Country)
		cc[i].Continent = strings.ToUpper(cc[i].Continent)
	}
	slices.SortFunc(cc, func(a, b CountryContinent) int { return strings.Compare(a.Country, b.Country) })
}

// ValidateOverrides checks both override lists and returns a
// *ValidationError naming every invalid entry, or nil.
func ValidateOverrides(nc []NetblockCountry, cc []CountryContinent) error {
	v := &validator{}
	validateOverrides(v, nc, cc)
	return v.err()
}

func validateOverrides(v *validator, nc []NetblockCountry, cc []CountryContinent) {
	seenNB := map[string]bool{}
	for i, o := range nc {
		f := fmt.Sprintf("netblock_countries[%d]", i)
		p, err := ParseNetblock(o.Netblock)
		if err != nil {
			v.add(f+".netblock", o.Netblock, "%v", err)
		} else if key := p.String(); seenNB[key] {
			v.add(f+".netblock", o.Netblock, "netblock %s listed twice", key)
		} else {
			seenNB[key] = true
		}
		if !KnownCountry(o.Country) {
			v.add(f+".country", o.Netblock, "%q is not an ISO 3166 two-letter country code in upper case", o.Country)
		}
	}
	seenCC := map[string]bool{}
	for i, o := range cc {
		f := fmt.Sprintf("country_continents[%d]", i)
		switch {
		case !KnownCountry(o.Country):
			v.add(f+".country", o.Country, "%q is not an ISO 3166 two-letter country code in upper case", o.Country)
		case seenCC[o.Country]:
			v.add(f+".country", o.Country, "country %s listed twice", o.Country)
		}
		seenCC[o.Country] = true
		if !slices.Contains(Continents, o.Continent) {
			v.add(f+".continent", o.Country, "%q is not a continent code (%s)", o.Continent, strings.Join(Continents, ", "))
		}
	}
}

// FamilyFlag is the Mirror field for a stored address-family column: nil
// for the default (true).
func FamilyFlag(serves bool) *bool {
	if serves {
		return nil
	}
	return Bool(false)
}

// ApplyOverrides replaces d's override lists with o's after validating them.
func (d *Dataset) ApplyOverrides(o Overrides) error {
	nc, cc := slices.Clone(o.NetblockCountries), slices.Clone(o.CountryContinents)
	NormalizeOverrides(nc, cc)
	if err := ValidateOverrides(nc, cc); err != nil {
		return err
	}
	d.NetblockCountries, d.CountryContinents = nc, cc
	return nil
}

package store

import (
	"errors"
	"slices"
	"testing"
)

// TestValidateHostRules breaks one of MirrorManager's host rules or
// overrides per case and expects exactly that field to be named.
func TestValidateHostRules(t *testing.T) {
	tests := []struct {
		name   string
		change func(d *Dataset)
		field  string // "" when the change is valid
	}{
		// host_country_allowed holds two-letter codes, one row per country.
		{"countries allowed", func(d *Dataset) { d.Mirrors[0].CountriesAllowed = []string{"HR", "US"} }, ""},
		{"country allowed unknown", func(d *Dataset) { d.Mirrors[0].CountriesAllowed = []string{"HR", "XX"} }, "mirrors[0].countries_allowed[1]"},
		{"country allowed twice", func(d *Dataset) { d.Mirrors[0].CountriesAllowed = []string{"US", "US"} }, "mirrors[0].countries_allowed[1]"},
		{"IPv6 only", func(d *Dataset) { d.Mirrors[0].IPv4 = Bool(false) }, ""},
		{"neither family", func(d *Dataset) { d.Mirrors[0].IPv4, d.Mirrors[0].IPv6 = Bool(false), Bool(false) }, "mirrors[0].ipv6"},
		// netblock_country: a netblock (CIDR) and a country code.
		{"netblock country", func(d *Dataset) {
			d.NetblockCountries = []NetblockCountry{{"198.51.100.0/24", "IL"}, {"2001:db8:1::/48", "DE"}}
		}, ""},
		{"netblock country bad netblock", func(d *Dataset) { d.NetblockCountries = []NetblockCountry{{"198.51.100.0/33", "IL"}} }, "netblock_countries[0].netblock"},
		{"netblock country host bits", func(d *Dataset) { d.NetblockCountries = []NetblockCountry{{"198.51.100.1/24", "IL"}} }, "netblock_countries[0].netblock"},
		{"netblock country unknown country", func(d *Dataset) { d.NetblockCountries = []NetblockCountry{{"198.51.100.0/24", "ZZ"}} }, "netblock_countries[0].country"},
		{"netblock country twice", func(d *Dataset) {
			d.NetblockCountries = []NetblockCountry{{"198.51.100.0/24", "IL"}, {"198.51.100.0/24", "DE"}}
		}, "netblock_countries[1].netblock"},
		// country_continent_redirect: IL → EU is Fedora's own use of it.
		{"country continent", func(d *Dataset) { d.CountryContinents = []CountryContinent{{"IL", "EU"}} }, ""},
		{"country continent unknown country", func(d *Dataset) { d.CountryContinents = []CountryContinent{{"QQ", "EU"}} }, "country_continents[0].country"},
		{"country continent unknown continent", func(d *Dataset) { d.CountryContinents = []CountryContinent{{"IL", "XX"}} }, "country_continents[0].continent"},
		{"country continent twice", func(d *Dataset) {
			d.CountryContinents = []CountryContinent{{"IL", "EU"}, {"IL", "AS"}}
		}, "country_continents[1].country"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := validDataset()
			tt.change(d)
			err := d.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v, want *ValidationError", err)
			}
			if got := fieldsOf(ve); !slices.Equal(got, []string{tt.field}) {
				t.Errorf("fields %q, want [%q]; error: %v", got, tt.field, err)
			}
		})
	}
}

// TestNormalizeHostRules checks the canonical forms: upper-case codes,
// sorted overrides, and the default address families stored as unset.
func TestNormalizeHostRules(t *testing.T) {
	d := validDataset()
	d.Mirrors[0].CountriesAllowed = []string{"us", "Hr"}
	d.Mirrors[0].IPv4, d.Mirrors[0].IPv6 = Bool(true), Bool(false)
	d.NetblockCountries = []NetblockCountry{{"2001:db8::1", "de"}, {"198.51.100.0/24", "il"}}
	d.CountryContinents = []CountryContinent{{"il", "eu"}, {"cy", "EU"}}
	d.Normalize()
	m := d.Mirrors[0]
	if !slices.Equal(m.CountriesAllowed, []string{"US", "HR"}) || m.IPv4 != nil || m.IPv6 == nil || *m.IPv6 {
		t.Errorf("mirror %+v", m)
	}
	if !m.ServesIPv4() || m.ServesIPv6() {
		t.Errorf("ServesIPv4 %v ServesIPv6 %v, want true false", m.ServesIPv4(), m.ServesIPv6())
	}
	wantNC := []NetblockCountry{{"198.51.100.0/24", "IL"}, {"2001:db8::1/128", "DE"}}
	if !slices.Equal(d.NetblockCountries, wantNC) {
		t.Errorf("netblock countries %v, want %v", d.NetblockCountries, wantNC)
	}
	wantCC := []CountryContinent{{"CY", "EU"}, {"IL", "EU"}}
	if !slices.Equal(d.CountryContinents, wantCC) {
		t.Errorf("country continents %v, want %v", d.CountryContinents, wantCC)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestDiffHostRules checks that an import names the new fields and the
// overrides as it names every other change.
func TestDiffHostRules(t *testing.T) {
	old, cur := validDataset(), validDataset()
	cur.Mirrors[0].IPv6 = Bool(false)
	cur.Mirrors[0].CountriesAllowed = []string{"DE"}
	cur.NetblockCountries = []NetblockCountry{{"198.51.100.0/24", "IL"}}
	old.CountryContinents = []CountryContinent{{"IL", "EU"}}
	diff := DiffDeclarative(old, cur)
	var changed []string
	for _, k := range diff {
		if k.Kind == "mirror" && len(k.Changed) == 1 {
			changed = k.Changed[0].Fields
		}
		if k.Kind == "netblock country" && !slices.Equal(k.Added, []string{"198.51.100.0/24"}) {
			t.Errorf("netblock countries added %v", k.Added)
		}
		if k.Kind == "country continent" && !slices.Equal(k.Removed, []string{"IL"}) {
			t.Errorf("country continents removed %v", k.Removed)
		}
	}
	if !slices.Equal(changed, []string{"countries_allowed", "ipv6"}) {
		t.Errorf("mirror fields changed %v", changed)
	}
	if got := diff.Removals(); !slices.Equal(got, []string{"country continent IL"}) {
		t.Errorf("removals %v", got)
	}
}

package admin

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/internal/adminapi"
)

func TestOverrides(t *testing.T) { eachStore(t, testOverrides) }

// The overrides are replaced as a whole, answered in canonical form; a bad
// entry refuses the whole body, names the field and changes nothing.
func testOverrides(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	var empty map[string][]any
	f.admin(http.MethodGet, "/overrides", nil, http.StatusOK, &empty)
	if nc, cc := empty["netblock_countries"], empty["country_continents"]; nc == nil || cc == nil || len(nc)+len(cc) != 0 {
		t.Errorf("empty overrides = %v, want both lists empty, not null", empty)
	}
	body := map[string]any{
		"netblock_countries": []map[string]string{{"netblock": "2001:db8::1", "country": "de"}, {"netblock": "192.0.2.0/24", "country": "IL"}},
		"country_continents": []map[string]string{{"country": "il", "continent": "eu"}},
	}
	want := adminapi.Overrides{
		NetblockCountries: []adminapi.NetblockCountry{{Netblock: "192.0.2.0/24", Country: "IL"}, {Netblock: "2001:db8::1/128", Country: "DE"}},
		CountryContinents: []adminapi.CountryContinent{{Country: "IL", Continent: "EU"}},
	}
	var put, got adminapi.Overrides
	f.admin(http.MethodPut, "/overrides", body, http.StatusOK, &put)
	f.admin(http.MethodGet, "/overrides", nil, http.StatusOK, &got)
	for what, o := range map[string]adminapi.Overrides{"PUT": put, "GET": got} {
		if diff := cmp.Diff(want, o); diff != "" {
			t.Errorf("%s (-want +got):\n%s", what, diff)
		}
	}

	for name, tc := range map[string]struct {
		body  any
		field string
	}{
		"bad netblock": {map[string]any{"netblock_countries": []map[string]string{{"netblock": "10.0.0.0/33", "country": "DE"}}},
			"netblock_countries[0].netblock"},
		"unknown country": {map[string]any{"netblock_countries": []map[string]string{{"netblock": "10.0.0.0/8", "country": "XX"}}},
			"netblock_countries[0].country"},
		"duplicate": {map[string]any{"country_continents": []map[string]string{{"country": "IL", "continent": "EU"}, {"country": "IL", "continent": "AS"}}},
			"country_continents[1].country"},
		"unknown continent": {map[string]any{"country_continents": []map[string]string{{"country": "IL", "continent": "XX"}}},
			"country_continents[0].continent"},
	} {
		t.Run(name, func(t *testing.T) {
			before := f.state()
			a := f.do(http.MethodPut, "/overrides", "admin", tc.body)
			if a.status != http.StatusBadRequest || !slices.Contains(a.fields(), tc.field) {
				t.Errorf("PUT = %d %s, want 400 naming %s", a.status, a.body, tc.field)
			}
			f.unchanged("a refused PUT /overrides", before)
		})
	}
	f.admin(http.MethodPut, "/overrides", map[string]any{}, http.StatusOK, nil)
	f.admin(http.MethodGet, "/overrides", nil, http.StatusOK, &got)
	if len(got.NetblockCountries)+len(got.CountryContinents) != 0 {
		t.Errorf("after an empty PUT: %+v", got)
	}
}

func TestMirrorHostRules(t *testing.T) { eachStore(t, testMirrorHostRules) }

// countries_allowed, ipv4 and ipv6 go through POST, PATCH and GET; the
// default family (true) reads back as absent.
func testMirrorHostRules(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	m := goodMirror(map[string]any{"name": "m9", "countries_allowed": []string{"us", "CA"}, "ipv4": false})
	var created adminapi.Mirror
	f.admin(http.MethodPost, "/mirrors", m, http.StatusCreated, &created)
	if !slices.Equal(created.CountriesAllowed, []string{"US", "CA"}) || created.IPv4 == nil || *created.IPv4 || created.IPv6 != nil {
		t.Errorf("created %+v", created)
	}
	stored := f.mirror("m9")
	if stored.ServesIPv4() || !stored.ServesIPv6() || !slices.Equal(stored.CountriesAllowed, []string{"US", "CA"}) {
		t.Errorf("stored %+v", stored)
	}
	f.admin(http.MethodPatch, "/mirrors/m9", map[string]any{"ipv4": true, "ipv6": false, "countries_allowed": []string{}}, http.StatusOK, nil)
	stored = f.mirror("m9")
	if !stored.ServesIPv4() || stored.ServesIPv6() || len(stored.CountriesAllowed) != 0 {
		t.Errorf("after PATCH %+v", stored)
	}
	before := f.state()
	a := f.do(http.MethodPatch, "/mirrors/m9", "admin", map[string]any{"ipv4": false})
	if a.status != http.StatusBadRequest || !slices.Contains(a.fields(), "ipv6") {
		t.Errorf("neither family = %d %s, want 400 naming ipv6", a.status, a.body)
	}
	a = f.do(http.MethodPatch, "/mirrors/m9", "admin", map[string]any{"countries_allowed": []string{"DE", "XX"}})
	if a.status != http.StatusBadRequest || !slices.Contains(a.fields(), "countries_allowed[1]") {
		t.Errorf("unknown country = %d %s, want 400 naming countries_allowed[1]", a.status, a.body)
	}
	f.unchanged("refused PATCHes", before)
}

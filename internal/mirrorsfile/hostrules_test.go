package mirrorsfile

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/metalinkd/metalinkd/store"
)

const hostRules = `mirrors:
  - name: il
    country: IL
    bandwidth: 100
    urls: [https://il.example/pub]
    countries_allowed: [il, PS]
    ipv6: false
  - name: six
    country: DE
    bandwidth: 100
    urls: [https://six.example/pub]
    ipv4: false
    ipv6: true
netblock_countries:
  - {netblock: 2001:db8:5::/48, country: de}
  - {netblock: 192.0.2.0/24, country: IL}
country_continents:
  - {country: il, continent: eu}
`

// TestHostRulesRoundTrip reads MirrorManager's host rules and overrides
// from a file, in canonical form, and writes them back the same in YAML
// and JSON.
func TestHostRulesRoundTrip(t *testing.T) {
	f, err := Parse(strings.NewReader(hostRules))
	if err != nil {
		t.Fatal(err)
	}
	d := f.Dataset
	il, six := d.Mirrors[0], d.Mirrors[1]
	if !cmp.Equal(il.CountriesAllowed, []string{"IL", "PS"}) || !il.ServesIPv4() || il.ServesIPv6() {
		t.Errorf("il: %+v", il)
	}
	if six.ServesIPv4() || six.IPv6 != nil {
		t.Errorf("six: %+v (ipv6: true is the default, stored unset)", six)
	}
	wantNC := []store.NetblockCountry{{Netblock: "192.0.2.0/24", Country: "IL"}, {Netblock: "2001:db8:5::/48", Country: "DE"}}
	if diff := cmp.Diff(wantNC, d.NetblockCountries); diff != "" {
		t.Errorf("netblock countries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]store.CountryContinent{{Country: "IL", Continent: "EU"}}, d.CountryContinents); diff != "" {
		t.Errorf("country continents (-want +got):\n%s", diff)
	}
	for _, format := range []Format{YAML, JSON} {
		var buf bytes.Buffer
		if err := Write(&buf, format, d, false, nil); err != nil {
			t.Fatal(err)
		}
		g, err := Parse(&buf)
		if err != nil {
			t.Fatalf("%s: %v\n%s", format, err, buf.String())
		}
		if diff := cmp.Diff(d, g.Dataset, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", format, diff)
		}
	}
}

// TestHostRulesErrorsNameLine checks that a bad host rule or override is
// named with its entry and the line of the file it is on, even when the
// overrides are not in the order they are stored in.
func TestHostRulesErrorsNameLine(t *testing.T) {
	m := "mirrors:\n  - name: m\n    country: DE\n    bandwidth: 1\n    urls: [http://a.example]\n"
	cases := []struct {
		name, doc string
		want      []string
	}{
		{"unknown country allowed", m + "    countries_allowed: [DE, XX]\n",
			[]string{"mirrors[0].countries_allowed[1]", "line 6", "XX"}},
		{"country allowed twice", m + "    countries_allowed: [DE, de]\n",
			[]string{"mirrors[0].countries_allowed[1]", "line 6", "twice"}},
		{"neither family", m + "    ipv4: false\n    ipv6: false\n",
			[]string{"mirrors[0].ipv6", "line 7", "neither"}},
		{"family not a boolean", m + "    ipv6: maybe\n", []string{"line 6", "maybe"}},
		{"bad override netblock", "netblock_countries:\n  - {netblock: 198.51.100.0/24, country: DE}\n  - {netblock: 10.0.0.1/8, country: DE}\n",
			[]string{"netblock_countries[1].netblock", "line 3", "host bits"}},
		{"override netblock twice", "netblock_countries:\n  - {netblock: 10.0.0.0/8, country: DE}\n  - {netblock: 10.0.0.0/8, country: FR}\n",
			[]string{"netblock_countries[1].netblock", "line 3", "twice"}},
		{"override unknown country", "netblock_countries:\n  - {netblock: 10.0.0.0/8, country: ZZ}\n",
			[]string{"netblock_countries[0].country", "line 2"}},
		{"override unknown continent", "country_continents:\n  - {country: TR, continent: AS}\n  - {country: IL, continent: MiddleEast}\n",
			[]string{"country_continents[1].continent", "line 3", "MIDDLEEAST"}},
		{"continent override twice", "country_continents:\n  - {country: IL, continent: EU}\n  - {country: il, continent: AS}\n",
			[]string{"country_continents[1].country", "line 3", "twice"}},
		{"unknown override field", "country_continents:\n  - {country: IL, continent: EU, note: x}\n", []string{"line 2", "note"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(c.doc))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

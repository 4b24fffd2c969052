package store

import "testing"

// TestContinentTableFollowsMirrorManager pins the choices of MirrorManager's
// country_continent.csv that differ from a plain geographic table, and the
// codes it lacks: those get no continent (so no continent step), yet stay
// codes a mirror may carry.
func TestContinentTableFollowsMirrorManager(t *testing.T) {
	cases := []struct {
		country, continent string
		known              bool
	}{
		{"CY", "AS", true}, // Cyprus in Asia
		{"TR", "EU", true}, // Turkey in Europe
		{"RU", "EU", true},
		{"PA", "NA", true}, // Central America and the Caribbean in North America
		{"CU", "NA", true},
		{"AW", "NA", true},
		{"EG", "AF", true},
		{"AQ", "AN", true},
		{"EU", "EU", true}, // GeoIP region codes
		{"AP", "AS", true},
		{"A1", "--", true}, // anonymous proxy and satellite
		{"A2", "--", true},
		{"O1", "--", true},
		{"BQ", "", true}, // codes the table lacks
		{"CW", "", true},
		{"SS", "", true},
		{"SX", "", true},
		{"XK", "", true},
		{"ZZ", "", false}, // no country at all
		{"us", "", false}, // lower case is not looked up
	}
	for _, c := range cases {
		if got := Continent(c.country); got != c.continent {
			t.Errorf("Continent(%q) = %q, want %q", c.country, got, c.continent)
		}
		if got := KnownCountry(c.country); got != c.known {
			t.Errorf("KnownCountry(%q) = %v, want %v", c.country, got, c.known)
		}
	}
}

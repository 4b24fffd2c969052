package storetest

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

// A mirror's countries_allowed keep the admin's order and are stored in
// upper case; the address families are stored as given, and the default
// (reachable) reads back as unset.
func testMirrorHostRules(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	got, err := s.UpdateMirror(ctx(t), "mirror.example.org", func(m *store.Mirror) error {
		m.CountriesAllowed = []string{"us", "CA"}
		m.IPv4, m.IPv6 = store.Bool(false), store.Bool(true)
		return nil
	})
	must(t, "UpdateMirror", err)
	want := fullDataset()
	w := &want.Mirrors[1]
	w.CountriesAllowed, w.IPv4, w.IPv6 = []string{"US", "CA"}, store.Bool(false), nil
	if diff := cmp.Diff(*w, got, datasetOpts); diff != "" {
		t.Errorf("UpdateMirror returned (-want +got):\n%s", diff)
	}
	checkData(t, s, want)
	if m, err := s.Mirror(ctx(t), w.Name); err != nil || !m.ServesIPv6() || m.ServesIPv4() {
		t.Errorf("Mirror: %+v, %v", m, err)
	}

	for name, change := range map[string]func(m *store.Mirror){
		"neither family":        func(m *store.Mirror) { m.IPv4, m.IPv6 = store.Bool(false), store.Bool(false) },
		"unknown country":       func(m *store.Mirror) { m.CountriesAllowed = []string{"DE", "XX"} },
		"country listed twice":  func(m *store.Mirror) { m.CountriesAllowed = []string{"DE", "de"} },
		"three-letter country":  func(m *store.Mirror) { m.CountriesAllowed = []string{"DEU"} },
		"empty country allowed": func(m *store.Mirror) { m.CountriesAllowed = []string{""} },
	} {
		t.Run(name, func(t *testing.T) {
			rejected(t, s, store.ErrInvalid, func() error {
				_, err := s.UpdateMirror(ctx(t), w.Name, func(m *store.Mirror) error { change(m); return nil })
				return err
			})
		})
	}
}

// ReplaceOverrides replaces both lists as a whole, normalised; Overrides
// agrees with Load.
func testOverrides(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	o := store.Overrides{
		NetblockCountries: []store.NetblockCountry{{Netblock: "2001:db8::1", Country: "nl"}, {Netblock: "10.0.0.0/8", Country: "AT"}},
		CountryContinents: []store.CountryContinent{{Country: "tr", Continent: "as"}},
	}
	in := store.Overrides{NetblockCountries: slices.Clone(o.NetblockCountries), CountryContinents: slices.Clone(o.CountryContinents)}
	must(t, "ReplaceOverrides", s.ReplaceOverrides(ctx(t), in))
	if diff := cmp.Diff(o, in); diff != "" {
		t.Errorf("ReplaceOverrides modified its argument (-want +got):\n%s", diff)
	}
	want := fullDataset()
	want.NetblockCountries = []store.NetblockCountry{{Netblock: "10.0.0.0/8", Country: "AT"}, {Netblock: "2001:db8::1/128", Country: "NL"}}
	want.CountryContinents = []store.CountryContinent{{Country: "TR", Continent: "AS"}}
	checkData(t, s, want)
	got, err := s.Overrides(ctx(t))
	must(t, "Overrides", err)
	if diff := cmp.Diff(store.Overrides{NetblockCountries: want.NetblockCountries, CountryContinents: want.CountryContinents}, got, datasetOpts); diff != "" {
		t.Errorf("Overrides (-want +got):\n%s", diff)
	}

	must(t, "ReplaceOverrides", s.ReplaceOverrides(ctx(t), store.Overrides{}))
	want.NetblockCountries, want.CountryContinents = nil, nil
	checkData(t, s, want)
}

// Bad overrides are refused as a whole with the stored ones intact.
func testOverridesInvalid(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	good := store.NetblockCountry{Netblock: "10.0.0.0/8", Country: "AT"}
	for name, o := range map[string]store.Overrides{
		"bad netblock":         {NetblockCountries: []store.NetblockCountry{good, {Netblock: "10.0.0.0/33", Country: "DE"}}},
		"host bits":            {NetblockCountries: []store.NetblockCountry{{Netblock: "10.0.0.1/8", Country: "DE"}}},
		"unknown country":      {NetblockCountries: []store.NetblockCountry{{Netblock: "10.0.0.0/8", Country: "XX"}}},
		"duplicate netblock":   {NetblockCountries: []store.NetblockCountry{good, {Netblock: "10.0.0.0/8", Country: "DE"}}},
		"unknown continent":    {CountryContinents: []store.CountryContinent{{Country: "IL", Continent: "ME"}}},
		"unknown country code": {CountryContinents: []store.CountryContinent{{Country: "QQ", Continent: "EU"}}},
		"duplicate country": {CountryContinents: []store.CountryContinent{
			{Country: "IL", Continent: "EU"}, {Country: "il", Continent: "AS"}}},
	} {
		t.Run(name, func(t *testing.T) {
			rejected(t, s, store.ErrInvalid, func() error { return s.ReplaceOverrides(ctx(t), o) })
		})
	}
}

// Import replaces the overrides with the file's, like every other
// declarative list.
func testImportReplacesOverrides(t *testing.T, s store.Store) {
	full := fullDataset()
	must(t, "Restore", s.Restore(ctx(t), full))
	decl := declarative(fullDataset())
	decl.NetblockCountries = []store.NetblockCountry{{Netblock: "198.51.100.0/24", Country: "FR"}}
	decl.CountryContinents = nil
	must(t, "Import", s.Import(ctx(t), decl))
	want := withScanned(decl, full)
	checkData(t, s, want)
}

package store_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/metalinkd/metalinkd/store"
)

func TestCopyIsDeep(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	m := mirror("a")
	m.Netblocks, m.Locations = []string{"192.0.2.0/24"}, []string{"us-east-1"}
	m.CountriesAllowed, m.IPv6 = []string{"US"}, store.Bool(false)
	r := store.Repomd{SHA256: "x", Recorded: now}
	d := &store.Dataset{
		Mirrors:      []store.Mirror{m},
		Locations:    []store.Location{{Name: "us-east-1", CloudRegions: []string{"us-east-1"}}},
		Repositories: []store.Repository{{Prefix: "p", Arch: "x86_64", Directory: "d"}},
		Redirects:    []store.Redirect{{From: "a", To: "b"}},
		ScanRules:    []store.ScanRule{{Pattern: "d", Repo: "p", Arch: "x86_64"}},
		Directories:  []store.Directory{{Path: "d", Current: r, Alternates: []store.Repomd{r}}},
		Freshness:    []store.Freshness{{Mirror: "a", Directory: "d", SHA256: "x", Reported: now}},
		CloudRanges:  []store.CloudRange{{Prefix: "198.51.100.0/24", Provider: "aws", Region: "us-east-1"}},
		CloudSources: []store.CloudSource{{Provider: "aws", SyncToken: "1", Imported: now}},
		Health: []store.MirrorHealth{{Mirror: "a", LastCrawl: now, Disabled: true, Reason: "r", Since: now,
			Protocols: []store.ProtocolHealth{{Protocol: "https", LastFailure: now, ConsecutiveFailures: 4}}}},

		TreeDirectories: []string{"d"},
		Files:           []store.TreeFile{{Path: "d/a.iso", Size: 1}},

		NetblockCountries: []store.NetblockCountry{{Netblock: "198.51.100.0/24", Country: "IL"}},
		CountryContinents: []store.CountryContinent{{Country: "IL", Continent: "EU"}},
	}
	// Every list of the model is set, so that a list added later and
	// forgotten by Copy shows up as a difference from Clone.
	v := reflect.ValueOf(d).Elem()
	for i := range v.NumField() {
		if v.Field(i).Len() == 0 {
			t.Fatalf("the test leaves Dataset.%s empty", v.Type().Field(i).Name)
		}
	}
	c := d.Copy()
	if diff := cmp.Diff(d.Clone(), c, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("Copy differs from Clone (-clone +copy):\n%s", diff)
	}
	c.Mirrors[0].URLs[0] = "changed"
	c.Mirrors[0].Netblocks[0] = "changed"
	c.Locations[0].CloudRegions[0] = "changed"
	c.Directories[0].Alternates[0].SHA256 = "changed"
	c.Freshness[0].SHA256 = "changed"
	c.Health[0].Protocols[0].LastReason = "changed"
	c.TreeDirectories[0], c.Files[0].Path = "changed", "changed"
	if d.TreeDirectories[0] == "changed" || d.Files[0].Path == "changed" {
		t.Error("changing the copy's tree changed the original")
	}
	c.Mirrors[0].CountriesAllowed[0] = "changed"
	*c.Mirrors[0].IPv6 = true
	if d.Mirrors[0].CountriesAllowed[0] == "changed" || *d.Mirrors[0].IPv6 {
		t.Error("changing the copy's host rules changed the original")
	}
	if d.Mirrors[0].URLs[0] == "changed" || d.Mirrors[0].Netblocks[0] == "changed" || d.Locations[0].CloudRegions[0] == "changed" ||
		d.Directories[0].Alternates[0].SHA256 == "changed" || d.Freshness[0].SHA256 == "changed" ||
		d.Health[0].Protocols[0].LastReason == "changed" {
		t.Error("changing the copy changed the original")
	}
}

package metalink

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/store"
)

// hostRulesSnapshot is the fixture with MirrorManager's host rules set:
// de2 serves German clients only, wide (netblock 198.51.0.0/16) Dutch
// ones, isp (ASN 64500) British ones, the regional bucket American ones;
// the admin maps 192.0.2.0/24 to DE inside 192.0.0.0/16 mapped to FR, and
// puts Israel in Europe, where a mirror in IL now counts.
func hostRulesSnapshot(t *testing.T) *Snapshot {
	t.Helper()
	d := fixture()
	allowed := map[string][]string{"de2": {"DE"}, "wide": {"NL"}, "isp": {"GB"}, "s3-us-east-1": {"US"}}
	for i := range d.Mirrors {
		d.Mirrors[i].CountriesAllowed = allowed[d.Mirrors[i].Name]
	}
	d.Mirrors = append(d.Mirrors, store.Mirror{Name: "il", Country: "IL", Bandwidth: 100, Enabled: true,
		AlwaysUpToDate: true, URLs: []string{"https://il.example/fedora"}})
	d.NetblockCountries = []store.NetblockCountry{{Netblock: "192.0.0.0/16", Country: "FR"}, {Netblock: "192.0.2.0/24", Country: "DE"}}
	d.CountryContinents = []store.CountryContinent{{Country: "IL", Continent: "EU"}}
	d.Normalize()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	return NewSnapshot(d, testNow)
}

// TestHostRules models mirrorlist-server's trim_by_client_country (a host
// with host_country_allowed rows is kept only when the client's country is
// one of them, an unknown country included), its netblock_country lookup
// (consulted before GeoIP) and country_continent_redirect (which edits the
// continent table for clients and hosts alike). Unlike Fedora's server,
// which trims only the GeoIP, country, continent and global results, the
// restriction holds in every step here, netblock, ASN and location too.
func TestHostRules(t *testing.T) {
	snap := hostRulesSnapshot(t)
	dir := snap.repo("fedora-41", "x86_64").Dir
	addr := netip.MustParseAddr
	cases := []struct {
		name          string
		query         string
		client        Client
		first, absent []string
		present       []string
		// ahead: the first mirror comes before the second (a step before
		// the global top-up).
		ahead [2]string
	}{
		{name: "allowed country: listed in the country step", client: Client{Country: "DE"},
			present: []string{"de2"}},
		{name: "other country: not listed by the continent step", client: Client{Country: "FR"},
			absent: []string{"de2", "wide", "isp"}},
		{name: "unknown country: restricted mirrors never listed", query: "country=global", client: Client{},
			absent: []string{"de2", "wide", "isp"}},
		{name: "country= trims by the client's country, not the requested one", query: "country=DE",
			client: Client{Country: "FR"}, absent: []string{"de2"}},
		{name: "netblock step trimmed", client: Client{Addr: addr("198.51.1.1"), Country: "DE"},
			absent: []string{"wide"}},
		{name: "netblock step of an allowed client", client: Client{Addr: addr("198.51.1.1"), Country: "NL"},
			first: []string{"wide"}},
		{name: "ASN step trimmed", client: Client{Addr: addr("100.64.0.9"), ASN: 64500, Country: "JP"},
			first: []string{"jp"}, absent: []string{"isp"}},
		{name: "ASN step of an allowed client", client: Client{Addr: addr("100.64.0.9"), ASN: 64500, Country: "GB"},
			first: []string{"isp"}},
		{name: "location step trimmed", query: "location=us-east-1", client: Client{Country: "DE"},
			absent: []string{"s3-us-east-1"}},
		{name: "location step of an allowed client", query: "location=us-east-1", client: Client{Country: "US"},
			first: []string{"s3-us-east-1"}},
		{name: "netblock override before GeoIP", client: Client{Addr: addr("192.0.2.5"), Country: "US"},
			present: []string{"de2"}, absent: []string{"us"}},
		{name: "longest netblock override wins", client: Client{Addr: addr("192.0.3.5"), Country: "US"},
			first: []string{"fr"}, absent: []string{"de2"}, ahead: [2]string{"de1", "us"}},
		{name: "netblock override through ip=", client: Client{Addr: addr("203.0.113.200"), Claimed: addr("192.0.2.5"), Country: "US"},
			present: []string{"de2"}},
		{name: "netblock override only for addresses inside", client: Client{Addr: addr("192.1.0.1"), Country: "US"},
			first: []string{"us"}},
		{name: "continent override: IL clients get Europe", client: Client{Country: "IL"},
			first: []string{"il"}, present: []string{"de1", "fr"}, ahead: [2]string{"fr", "jp"}},
		{name: "continent override: IL mirror in Europe's step", client: Client{Country: "PT"},
			present: []string{"il", "de1"}, ahead: [2]string{"il", "jp"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := ParseQuery(c.query)
			got := names(snap, selectFor(snap, dir, &q, c.client, seeded()))
			if len(got) < len(c.first) || !slices.Equal(got[:len(c.first)], c.first) {
				t.Errorf("order %v, want it to start with %v", got, c.first)
			}
			for _, a := range c.absent {
				if slices.Contains(got, a) {
					t.Errorf("%s listed in %v", a, got)
				}
			}
			if c.ahead[0] != "" {
				if i, j := slices.Index(got, c.ahead[0]), slices.Index(got, c.ahead[1]); i < 0 || j < 0 || i > j {
					t.Errorf("%s should come before %s in %v", c.ahead[0], c.ahead[1], got)
				}
			}
			for _, p := range c.present {
				if !slices.Contains(got, p) {
					t.Errorf("%s missing from %v", p, got)
				}
			}
		})
	}
}

// familySnapshot has, in one country, a mirror reachable over IPv4 only,
// one over IPv6 only and one over both; the global list then holds the
// rest of the world's three more dual-stack mirrors when asked for.
func familySnapshot(t *testing.T, extra int) *Snapshot {
	t.Helper()
	m := func(name string, v4, v6 bool) store.Mirror {
		return store.Mirror{Name: name, Country: "DE", Bandwidth: 100, Enabled: true, AlwaysUpToDate: true,
			URLs: []string{"https://" + name + ".example/pub"}, IPv4: store.Bool(v4), IPv6: store.Bool(v6)}
	}
	d := &store.Dataset{
		Mirrors:      []store.Mirror{m("four", true, false), m("six", false, true), m("both", true, true)},
		Repositories: []store.Repository{{Prefix: "fedora-41", Arch: "x86_64", Directory: dirF41}},
		Directories:  []store.Directory{{Path: dirF41, Current: store.Repomd{Size: 1, Timestamp: 1, SHA256: sha}}},
	}
	for i := range extra {
		x := m("dual"+string(rune('a'+i)), true, true)
		x.Country = "JP"
		d.Mirrors = append(d.Mirrors, x)
	}
	d.Normalize()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	return NewSnapshot(d, testNow)
}

// TestAddressFamily: mirrors of the client's family come first; the others
// follow only while fewer than the minimum serve the family (MirrorCache's
// per-mirror ipv4/ipv6 capability, with MirrorManager's minimum of 5).
func TestAddressFamily(t *testing.T) {
	addr := netip.MustParseAddr
	cases := []struct {
		name   string
		extra  int
		query  string
		client Client
		first  []string // the leading set, in any order
		last   []string // what follows it, in order
	}{
		{name: "IPv6 client, too few IPv6 mirrors: the IPv4-only one last", client: Client{Addr: addr("2001:db8::1"), Country: "DE"},
			first: []string{"six", "both"}, last: []string{"four"}},
		{name: "IPv4 client: the IPv6-only one last", client: Client{Addr: addr("192.0.2.1"), Country: "DE"},
			first: []string{"four", "both"}, last: []string{"six"}},
		{name: "IPv4-mapped address counts as IPv4", client: Client{Addr: addr("::ffff:192.0.2.1"), Country: "DE"},
			first: []string{"four", "both"}, last: []string{"six"}},
		{name: "ipv=4 forces IPv4 for an IPv6 client", query: "ipv=4", client: Client{Addr: addr("2001:db8::1"), Country: "DE"},
			first: []string{"four", "both"}, last: []string{"six"}},
		{name: "ipv=6 forces IPv6 for an IPv4 client", query: "ipv=6", client: Client{Addr: addr("192.0.2.1"), Country: "DE"},
			first: []string{"six", "both"}, last: []string{"four"}},
		{name: "ip= decides the family", client: Client{Addr: addr("192.0.2.1"), Claimed: addr("2001:db8::5"), Country: "DE"},
			first: []string{"six", "both"}, last: []string{"four"}},
		{name: "unknown address: no family order", client: Client{Country: "DE"},
			first: []string{"four", "six", "both"}},
		{name: "IPv6 client, enough IPv6 mirrors with the global top-up: IPv4-only left out", extra: 3,
			client: Client{Addr: addr("2001:db8::1"), Country: "DE"},
			first:  []string{"six", "both", "duala", "dualb", "dualc"}},
		{name: "IPv4 client, enough IPv4 mirrors: IPv6-only left out", extra: 3,
			client: Client{Addr: addr("192.0.2.1"), Country: "DE"},
			first:  []string{"four", "both", "duala", "dualb", "dualc"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			snap := familySnapshot(t, c.extra)
			dir := snap.repo("fedora-41", "x86_64").Dir
			q := ParseQuery(c.query)
			got := names(snap, selectFor(snap, dir, &q, c.client, seeded()))
			want := len(c.first) + len(c.last)
			if len(got) != want {
				t.Fatalf("mirrors %v, want %d: %v then %v", got, want, c.first, c.last)
			}
			if g, w := slices.Sorted(slices.Values(got[:len(c.first)])), slices.Sorted(slices.Values(c.first)); !slices.Equal(g, w) {
				t.Errorf("leading %v, want %v", got[:len(c.first)], c.first)
			}
			if !slices.Equal(got[len(c.first):], c.last) {
				t.Errorf("then %v, want %v", got[len(c.first):], c.last)
			}
		})
	}
}

// TestAddressFamilyAnswers checks the order in both answers and that ipv=
// takes 4 or 6 only, refused otherwise as a bad request.
func TestAddressFamilyAnswers(t *testing.T) {
	snap := familySnapshot(t, 0)
	v6 := Client{Addr: netip.MustParseAddr("2001:db8::1"), Country: "DE"}
	o := Options{Minimum: DefaultMinimum, Rand: seeded(), Now: testNow}
	for _, metalink := range []bool{true, false} {
		q := ParseQuery("repo=fedora-41&arch=x86_64")
		resp := Answer(nil, snap, &q, metalink, v6, o)
		body := string(resp.Body)
		if resp.Status != http.StatusOK {
			t.Fatalf("metalink=%v: status %d", metalink, resp.Status)
		}
		four, six := strings.Index(body, "four.example"), strings.Index(body, "six.example")
		if four < 0 || six < 0 || six > four {
			t.Errorf("metalink=%v: six.example should come before four.example:\n%s", metalink, body)
		}
		if resp.FirstStep != StepCountry {
			t.Errorf("metalink=%v: first step %v", metalink, resp.FirstStep)
		}
	}
	for _, bad := range []string{"ipv=5", "ipv=", "ipv=v6", "ipv=46", "ipv=4,6", "ipv=%34x"} {
		q := ParseQuery("repo=fedora-41&arch=x86_64&" + bad)
		for _, metalink := range []bool{true, false} {
			resp := Answer(nil, snap, &q, metalink, v6, o)
			// As every other malformed parameter: a 200 whose body says which.
			if resp.Status != http.StatusOK || !strings.Contains(string(resp.Body), "# invalid value of ipv=") {
				t.Errorf("%s metalink=%v: %d %q", bad, metalink, resp.Status, resp.Body)
			}
		}
	}
	q := ParseQuery("repo=fedora-41&arch=x86_64&ipv=%34")
	if resp := Answer(nil, snap, &q, false, v6, o); resp.Status != http.StatusOK {
		t.Errorf("ipv=%%34 (a percent-encoded 4): %d", resp.Status)
	}
}

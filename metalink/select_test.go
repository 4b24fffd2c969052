package metalink

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/store"
)

func names(snap *Snapshot, ids []mirrorID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = snap.mirrors[id].Name
	}
	return out
}

// selectFor runs the selection as Answer does, without location verification.
func selectFor(snap *Snapshot, dir *dirView, q *Query, c Client, rnd Rand) []mirrorID {
	s := &selector{}
	s.run(snap, dir, q, c, Options{Minimum: DefaultMinimum, Rand: rnd})
	return s.out
}

func TestSelect(t *testing.T) {
	snap := fixtureSnapshot(t)
	dir := snap.repo("fedora-41", "x86_64").Dir
	addr := netip.MustParseAddr
	cases := []struct {
		name   string
		query  string
		client Client
		// first lists the mirrors that must lead, in order; then "set" the
		// whole set when given.
		first  []string
		set    []string
		absent []string
	}{
		{name: "location first", query: "location=us-east-1", client: de,
			first: []string{"s3-us-east-1"}, absent: []string{"stale", "off", "campus"}},
		{name: "literal $location ignored", query: "location=$location", client: de,
			absent: []string{"s3-us-east-1"}, first: []string{}},
		{name: "empty location ignored", query: "location=", client: de, absent: []string{"s3-us-east-1"}},
		{name: "unknown location ignored", query: "location=mars-1", client: de, absent: []string{"s3-us-east-1"}},
		{name: "location matched case-insensitively", query: "location=US-EAST-1", client: de,
			first: []string{"s3-us-east-1"}},
		{name: "mixed-case location", query: "location=Us-East-1", client: de, first: []string{"s3-us-east-1"}},
		{name: "upper-case literal $LOCATION ignored", query: "location=$LOCATION", client: de, absent: []string{"s3-us-east-1"}},
		{name: "upper-case location with a bad character ignored", query: "location=US_EAST_1", client: de,
			absent: []string{"s3-us-east-1"}},
		{name: "location with no mirror of its own", query: "location=eu-west-1", client: Client{},
			absent: []string{"s3-us-east-1"}},
		{name: "regional never by country", query: "", client: Client{Country: "US"},
			absent: []string{"s3-us-east-1", "campus"}},
		{name: "regional never in global", query: "country=global", client: Client{},
			set: []string{"de1", "de2", "fr", "us", "jp", "alt", "wide", "isp"}},
		{name: "netblock longest prefix first", query: "", client: Client{Addr: addr("198.51.100.7")},
			first: []string{"campus", "wide"}},
		{name: "netblock=0 skips netblocks", query: "netblock=0", client: Client{Addr: addr("198.51.100.7"), Country: "DE"},
			absent: []string{"campus"}},
		{name: "country= skips netblocks", query: "country=DE", client: Client{Addr: addr("198.51.100.7")},
			set: []string{"de1", "de2", "alt"}},
		{name: "ASN", query: "", client: Client{Addr: addr("100.64.0.9"), ASN: 64500, Country: "JP"},
			first: []string{"isp", "jp"}},
		{name: "requested country without mirrors falls back to its continent", query: "country=PT", client: Client{},
			set: []string{"de1", "de2", "alt", "fr", "wide", "isp"}},
		{name: "cc is an alias of country", query: "cc=fr", client: Client{}, set: []string{"fr"}},
		{name: "global top-up counts only carriers", query: "", client: Client{Country: "FR"},
			// FR has 1 carrier, the rest of Europe 5: 6 >= 5, no global
			set: []string{"fr", "de1", "de2", "alt", "wide", "isp"}},
		{name: "global added below minimum", query: "", client: Client{Country: "JP"},
			first: []string{"jp"}, set: []string{"jp", "de1", "de2", "fr", "us", "alt", "wide", "isp"}},
		{name: "Cyprus is in Asia, as in MirrorManager's table", query: "", client: Client{Country: "CY"},
			first: []string{"jp"}},
		{name: "Kosovo has no continent in MirrorManager's table", query: "", client: Client{Country: "XK"},
			set: []string{"de1", "de2", "fr", "us", "jp", "alt", "wide", "isp"}},
		{name: "unknown client gets global", query: "", client: Client{},
			set: []string{"de1", "de2", "fr", "us", "jp", "alt", "wide", "isp"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := ParseQuery(c.query)
			got := names(snap, selectFor(snap, dir, &q, c.client, seeded()))
			if len(got) < len(c.first) || !slices.Equal(got[:len(c.first)], c.first) {
				t.Errorf("order %v, want it to start with %v", got, c.first)
			}
			if c.set != nil {
				g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(c.set))
				if !slices.Equal(g, w) {
					t.Errorf("mirrors %v, want %v", g, w)
				}
			}
			for _, a := range c.absent {
				if slices.Contains(got, a) {
					t.Errorf("%s listed in %v", a, got)
				}
			}
			seen := map[string]bool{}
			for _, n := range got {
				if seen[n] {
					t.Errorf("%s listed twice in %v", n, got)
				}
				seen[n] = true
			}
		})
	}
}

// TestWeightedShuffle checks that the first mirror of a step is drawn with
// probability proportional to bandwidth: de1 (1000) against de2 (100) and
// alt (10) should lead about 1000/1110 of the time.
func TestWeightedShuffle(t *testing.T) {
	snap := fixtureSnapshot(t)
	dir := snap.repo("fedora-41", "x86_64").Dir
	q := ParseQuery("country=DE")
	rnd := rand.New(rand.NewPCG(7, 7))
	const n = 20000
	firsts := map[string]int{}
	for range n {
		sel := selectFor(snap, dir, &q, Client{}, rnd)
		firsts[snap.mirrors[sel[0]].Name]++
	}
	want := map[string]float64{"de1": 1000.0 / 1110, "de2": 100.0 / 1110, "alt": 10.0 / 1110}
	for name, p := range want {
		got := float64(firsts[name]) / n
		if got < p*0.9-0.005 || got > p*1.1+0.005 {
			t.Errorf("%s first %.4f of the time, want about %.4f", name, got, p)
		}
	}
}

func TestPreferenceNeverBelowOne(t *testing.T) {
	d := &store.Dataset{Directories: []store.Directory{{Path: "d", Current: store.Repomd{SHA256: sha}}},
		Repositories: []store.Repository{{Prefix: "r", Arch: "a", Directory: "d"}}}
	for i := range 120 {
		d.Mirrors = append(d.Mirrors, store.Mirror{Name: "m" + string(rune('a'+i/26)) + string(rune('a'+i%26)),
			Country: "DE", Bandwidth: 1, Enabled: true, AlwaysUpToDate: true, URLs: []string{"https://x.example/" + string(rune('a'+i%26))}})
	}
	snap := NewSnapshot(d, testNow)
	q := ParseQuery("repo=r&arch=a")
	r := Answer(nil, snap, &q, true, Client{Country: "DE"}, Options{Minimum: 5, Rand: seeded(), Now: testNow})
	body := string(r.Body)
	for _, want := range []string{`preference="100"`, `preference="2"`, `preference="1"`} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Contains(body, `preference="0"`) || strings.Contains(body, `preference="-`) {
		t.Error("preference below 1")
	}
}

// TestGlobalTopUpCountsOnlyCarriers: five Swedish mirrors of which three
// serve an old repomd count as two, so the global list is added; when all
// five are fresh it is not.
func TestGlobalTopUpCountsOnlyCarriers(t *testing.T) {
	build := func(stale int) (*Snapshot, *dirView) {
		d := &store.Dataset{
			Repositories: []store.Repository{{Prefix: "r", Arch: "a", Directory: "d"}},
			Directories:  []store.Directory{{Path: "d", Current: store.Repomd{SHA256: sha}}},
			Mirrors: []store.Mirror{{Name: "far", Country: "JP", Bandwidth: 1, Enabled: true, AlwaysUpToDate: true,
				URLs: []string{"https://far.example/x"}}},
		}
		for i := range 5 {
			name := fmt.Sprintf("se%d", i)
			d.Mirrors = append(d.Mirrors, store.Mirror{Name: name, Country: "SE", Bandwidth: 1, Enabled: true,
				URLs: []string{"https://" + name + ".example/x"}})
			got := sha
			if i < stale {
				got = oldSHA // not accepted: no alternates here
			}
			d.Freshness = append(d.Freshness, store.Freshness{Mirror: name, Directory: "d", SHA256: got})
		}
		snap := NewSnapshot(d, testNow)
		return snap, snap.repo("r", "a").Dir
	}
	q := ParseQuery("repo=r&arch=a")
	for stale, wantFar := range map[int]bool{0: false, 3: true} {
		snap, dir := build(stale)
		got := names(snap, selectFor(snap, dir, &q, Client{Country: "SE"}, seeded()))
		if slices.Contains(got, "far") != wantFar {
			t.Errorf("%d stale of 5: %v; want the global list added: %v", stale, got, wantFar)
		}
		if len(got) != 5-stale+map[bool]int{true: 1, false: 0}[wantFar] {
			t.Errorf("%d stale of 5: listed %v", stale, got)
		}
	}
}

// TestBandwidthCap pins Fedora's cap of 10,000 on bandwidth weights: a
// mirror declaring 100 Gbit/s leads no more often than one declaring
// 10 Gbit/s, unless the cap is raised.
func TestBandwidthCap(t *testing.T) {
	d := &store.Dataset{
		Repositories: []store.Repository{{Prefix: "r", Arch: "a", Directory: "d"}},
		Directories:  []store.Directory{{Path: "d", Current: store.Repomd{SHA256: sha}}},
		Mirrors: []store.Mirror{
			{Name: "big", Country: "SE", Bandwidth: 100000, Enabled: true, AlwaysUpToDate: true, URLs: []string{"https://big.example/x"}},
			{Name: "ten", Country: "SE", Bandwidth: 10000, Enabled: true, AlwaysUpToDate: true, URLs: []string{"https://ten.example/x"}},
		},
	}
	snap := NewSnapshot(d, testNow)
	dir := snap.repo("r", "a").Dir
	q := ParseQuery("country=SE")
	cases := []struct {
		name    string
		max     int
		wantBig float64
	}{
		{"default cap", 0, 0.5},
		{"cap 10000", 10000, 0.5},
		{"cap raised", 1000000, 100000.0 / 110000},
		{"cap 1", 1, 0.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(3, 4))
			const n = 20000
			big := 0
			for range n {
				s := &selector{}
				s.run(snap, dir, &q, Client{}, Options{Minimum: DefaultMinimum, Rand: rnd, MaxBandwidth: c.max})
				if snap.mirrors[s.out[0]].Name == "big" {
					big++
				}
			}
			if got := float64(big) / n; got < c.wantBig-0.02 || got > c.wantBig+0.02 {
				t.Errorf("big first %.3f of the time, want about %.3f", got, c.wantBig)
			}
		})
	}
}

// TestRequestedCountriesOneShuffle pins country=CA,US as Fedora's server
// draws it: one bandwidth-weighted shuffle over both countries' mirrors,
// not all of CA's before all of US's; the header names them sorted.
func TestRequestedCountriesOneShuffle(t *testing.T) {
	d := &store.Dataset{
		Repositories: []store.Repository{{Prefix: "r", Arch: "a", Directory: "d"}},
		Directories:  []store.Directory{{Path: "d", Current: store.Repomd{SHA256: sha}}},
	}
	for _, m := range []struct {
		name, cc string
		bw       int
	}{{"ca", "CA", 1}, {"us1", "US", 1000}, {"us2", "US", 1000}} {
		d.Mirrors = append(d.Mirrors, store.Mirror{Name: m.name, Country: m.cc, Bandwidth: m.bw, Enabled: true,
			AlwaysUpToDate: true, URLs: []string{"https://" + m.name + ".example/x"}})
	}
	snap := NewSnapshot(d, testNow)
	for _, query := range []string{"country=CA,US", "country=us,ca", "cc=CA,US,CA"} {
		q := ParseQuery(query)
		rnd := rand.New(rand.NewPCG(5, 6))
		last := 0
		const n = 2000
		for range n {
			s := &selector{}
			s.run(snap, snap.repo("r", "a").Dir, &q, Client{}, Options{Minimum: DefaultMinimum, Rand: rnd})
			if len(s.out) != 3 {
				t.Fatalf("%s: %v", query, names(snap, s.out))
			}
			if snap.mirrors[s.out[2]].Name == "ca" {
				last++
			}
			if got := string(s.header); got != "country = CA country = US " {
				t.Fatalf("%s: header %q", query, got)
			}
		}
		if last < n*9/10 {
			t.Errorf("%s: the 1 Mbit/s CA mirror came last %d of %d times; want nearly always", query, last, n)
		}
	}
}

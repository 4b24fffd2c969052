package mm2

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/internal/mm2/mm2test"
	"github.com/metalinkd/metalinkd/metalink"
)

// TestAnswersFollowMirrorManager answers a table of requests from the
// imported fixture and checks them against what MirrorManager's rules give
// for that data: which hosts are listed, in which runs (see Tiers), and
// who comes first. The expectations are worked out from the fixture by
// those rules: a host is listed when it and its site are active (both
// flags each), it is public or the client is in its netblock, and it is up
// to date in the directory (or always_up2date); then netblock, ASN, the
// client's country and the rest of its continent, and the rest when fewer
// than 5 were found; country= lists those countries alone (their
// continent when they have none), and never private hosts. A host with
// allowed countries is listed to clients of those countries only;
// netblock_country decides a client's country before GeoIP, and
// country_continent_redirect a country's continent.
func TestAnswersFollowMirrorManager(t *testing.T) {
	r := convertFixture(t, newFixture(t))
	snap := metalink.NewSnapshot(r.Dataset, mm2test.Now)
	h := func(names ...string) []string {
		for i, n := range names {
			names[i] = strings.TrimPrefix(n, "mm2-")
		}
		slices.Sort(names)
		return names
	}
	eu := []string{"mirror6.fr.example.org", "mirror7.gb.example.org", "mirror8.nl.example.org", "mirror9.se.example.org",
		"mirror10.cz.example.org", "mirror23.ru.example.org", "mirror24.pl.example.org", "mirror25.it.example.org",
		"mirror26.es.example.org", "nopeer.example.net", "odd.example.org"}
	cases := []struct {
		name, query string
		client      metalink.Client
		country     string
		tiers       []Tier
		// hosts is the whole set listed, when given; first, the first host.
		hosts      []string
		first      string
		alternates int
		err        string
	}{
		{name: "country= lists that country alone", query: "repo=fedora-41&arch=x86_64&country=DE", country: "DE",
			tiers: []Tier{{"country", 3}},
			hosts: h("mirror4.de.example.org", "mirror5.de.example.org", "isp.example.net")},
		{name: "none in the country: its continent", query: "repo=updates-released-f41&arch=x86_64&country=GB", country: "GB",
			tiers: []Tier{{"continent", 13}}, alternates: 1,
			hosts: h(append(slices.DeleteFunc(slices.Clone(eu), func(s string) bool { return s == "mirror7.gb.example.org" }),
				"mirror4.de.example.org", "mirror5.de.example.org", "isp.example.net")...)},
		{name: "EPEL", query: "repo=epel-9&arch=x86_64&country=FR", country: "FR",
			tiers: []Tier{{"country", 2}}, alternates: 1,
			hosts: h("mirror6.fr.example.org", "epel-only.example.org")},
		{name: "GeoIP country, too few: continent", query: "repo=fedora-41&arch=aarch64", country: "AU",
			client: metalink.Client{Country: "AU"},
			tiers:  []Tier{{"country", 1}, {"continent", 1}, {"global", 36}}, first: "mirror15.au.example.org"},
		{name: "private netblock first", query: "repo=fedora-41&arch=x86_64", country: "US",
			client: metalink.Client{Addr: netip.MustParseAddr("198.51.100.7"), Country: "US"},
			tiers:  []Tier{{"private", 1}, {"country", 5}, {"continent", 4}}, first: "private.corp.example.com",
			hosts: h("private.corp.example.com", "mirror1.us.example.org", "mirror2.us.example.org", "mirror3.us.example.org",
				"i2.example.edu", "dnsblock.example.org", "always.example.org", "mirror19.ca.example.org",
				"mirror20.ca.example.org", "mirror29.mx.example.org")},
		{name: "ASN", query: "repo=fedora-41&arch=x86_64", country: "FR",
			client: metalink.Client{ASN: 64500, Country: "FR"}, first: "isp.example.net"},
		{name: "location", query: "repo=fedora-41&arch=x86_64&location=us-east-1", country: "US",
			client: metalink.Client{Country: "US"}, first: "aws-use1.example.com"},
		{name: "countries allowed: a client of that country", query: "repo=rawhide&arch=x86_64&country=CN", country: "CN",
			client: metalink.Client{Country: "CN"},
			tiers:  []Tier{{"country", 2}}, hosts: h("cn-only.example.cn", "mirror13.cn.example.org")},
		{name: "countries allowed: a client of another country", query: "repo=rawhide&arch=x86_64&country=CN", country: "CN",
			client: metalink.Client{Country: "US"},
			tiers:  []Tier{{"country", 1}}, hosts: h("mirror13.cn.example.org")},
		{name: "netblock_country: GeoIP overridden", query: "repo=fedora-41&arch=x86_64", country: "DE",
			client: metalink.Client{Addr: netip.MustParseAddr("192.0.2.100"), Country: "US"},
			tiers:  []Tier{{"country", 3}, {"continent", 11}}},
		{name: "country_continent_redirect: IL in Europe", query: "repo=fedora-41&arch=x86_64", country: "IL",
			client: metalink.Client{Country: "IL"},
			hosts:  h(append([]string{"mirror4.de.example.org", "mirror5.de.example.org", "isp.example.net"}, eu...)...)},
		{name: "disabled repository", query: "repo=fedora-39&arch=x86_64", err: "repo disabled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := metalink.ParseQuery(c.query)
			resp := metalink.Answer(nil, snap, &q, true, c.client, metalink.Options{Minimum: 5,
				Rand: rand.New(rand.NewPCG(1, 2)), Now: mm2test.Now})
			a, err := ParseMetalink(resp.Body)
			if err != nil {
				t.Fatalf("%v\n%s", err, resp.Body)
			}
			if c.err != "" {
				if !strings.Contains(a.Error, c.err) {
					t.Errorf("error %q, want %q", a.Error, c.err)
				}
				return
			}
			if a.Error != "" {
				t.Fatalf("error answer %q", a.Error)
			}
			if c.tiers != nil {
				if diff := cmp.Diff(c.tiers, Tiers(a, c.country)); diff != "" {
					t.Errorf("tiers (-want +got)\n%s", diff)
				}
			}
			if c.hosts != nil {
				got := a.Hosts()
				slices.Sort(got)
				if diff := cmp.Diff(c.hosts, got); diff != "" {
					t.Errorf("hosts (-want +got)\n%s", diff)
				}
			}
			if c.first != "" && a.Hosts()[0] != c.first {
				t.Errorf("first %s, want %s", a.Hosts()[0], c.first)
			}
			if a.Alternates != c.alternates {
				t.Errorf("%d alternates, want %d", a.Alternates, c.alternates)
			}
		})
	}
}

// TestAnswerURLs checks that a mirror's URLs come in MirrorManager's order
// with their protocols, and that a redirect reaches its target's tree.
func TestAnswerURLs(t *testing.T) {
	snap := metalink.NewSnapshot(convertFixture(t, newFixture(t)).Dataset, mm2test.Now)
	answer := func(query string) *Answer {
		q := metalink.ParseQuery(query)
		resp := metalink.Answer(nil, snap, &q, true, metalink.Client{}, metalink.Options{Minimum: 5, Rand: rand.New(rand.NewPCG(1, 2)), Now: mm2test.Now})
		a, err := ParseMetalink(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := answer("repo=fedora-41&arch=x86_64&country=DE")
	i := slices.Index(a.Hosts(), "mirror5.de.example.org")
	if i < 0 {
		t.Fatal("mirror5.de.example.org not listed")
	}
	const suffix = "/fedora/linux/releases/41/Everything/x86_64/os/repodata/repomd.xml"
	want := ListedMirror{Host: "mirror5.de.example.org", Country: "DE", URLs: []string{
		"https://mirror5.de.example.org" + suffix, "http://mirror5.de.example.org" + suffix,
		"rsync://mirror5.de.example.org" + suffix, "https://mirror5.de.example.org/mirror2" + suffix},
		Protocol: []string{"https", "http", "rsync", "https"}}
	if diff := cmp.Diff(want, a.Mirrors[i]); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	// path= with MirrorManager's full directory name, the root being the
	// mount prefix, lists the mirrors up to date there, as repo= does.
	q := metalink.ParseQuery("path=pub/fedora/linux/updates/41/Everything/x86_64&country=GB")
	resp := metalink.Answer(nil, snap, &q, true, metalink.Client{}, metalink.Options{Minimum: 5,
		Rand: rand.New(rand.NewPCG(1, 2)), Now: mm2test.Now, MountPrefix: "pub"})
	byPath, err := ParseMetalink(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	byRepo := answer("repo=updates-released-f41&arch=x86_64&country=GB")
	if d := CompareAnswers("path=", "GB", byRepo, byPath); len(d) > 0 || len(byPath.Mirrors) == 0 {
		t.Errorf("path= with the full name: %v\n%s", d, resp.Body)
	}
	for _, m := range answer("repo=fedora-42&arch=x86_64&country=US").Mirrors {
		if !strings.Contains(m.URLs[0], "/fedora/linux/development/rawhide/") {
			t.Errorf("fedora-42 (redirected to rawhide) lists %s", m.URLs[0])
		}
	}
}

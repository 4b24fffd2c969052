package metalink

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/store"
)

// multiURLSnapshot has a mirror with several URLs per protocol, given
// http first, one with a single https URL, and one with rsync alone.
func multiURLSnapshot() *Snapshot {
	m := func(name string, bw int, urls ...string) store.Mirror {
		return store.Mirror{Name: name, Country: "DE", Bandwidth: bw, Enabled: true, AlwaysUpToDate: true, URLs: urls}
	}
	return NewSnapshot(&store.Dataset{
		Repositories: []store.Repository{{Prefix: "r", Arch: "a", Directory: "d"}},
		Directories:  []store.Directory{{Path: "d", Current: store.Repomd{SHA256: sha}}},
		Mirrors: []store.Mirror{
			m("multi", 100, "http://m.example/a", "https://m.example/a", "https://m2.example/a", "rsync://m.example/a", "ftp://m.example/a"),
			m("plain", 100, "https://p.example/a"),
			m("rsynconly", 100, "rsync://r.example/a"),
		},
	}, testNow)
}

var urlLine = regexp.MustCompile(`preference="(\d+)"[^>]*>([^<]*)/d/repodata/repomd.xml</url>`)

// TestURLsPerMirror pins how Fedora's server lists a mirror's URLs: every
// URL in the admin's order in a metalink; with protocol=, each URL of those
// protocols (up to one per protocol asked for), with preferences counting
// only the mirrors listed; in a mirrorlist, the first https, http or ftp
// URL in the admin's order, or with protocol= each matching URL.
func TestURLsPerMirror(t *testing.T) {
	snap := multiURLSnapshot()
	cases := []struct {
		query    string
		metalink bool
		// want maps a mirror's host to the URLs listed for it, in order.
		want map[string][]string
	}{
		{"repo=r&arch=a&country=DE", true, map[string][]string{
			"m": {"http://m.example/a", "https://m.example/a", "https://m2.example/a", "rsync://m.example/a", "ftp://m.example/a"},
			"p": {"https://p.example/a"}, "r": {"rsync://r.example/a"}}},
		{"repo=r&arch=a&country=DE&protocol=https", true, map[string][]string{
			"m": {"https://m.example/a"}, "p": {"https://p.example/a"}}},
		{"repo=r&arch=a&country=DE&protocol=https,http", true, map[string][]string{
			"m": {"http://m.example/a", "https://m.example/a"}, "p": {"https://p.example/a"}}},
		{"repo=r&arch=a&country=DE&protocol=ftp", true, map[string][]string{"m": {"ftp://m.example/a"}}},
		{"repo=r&arch=a&country=DE", false, map[string][]string{
			"m": {"http://m.example/a/d/"}, "p": {"https://p.example/a/d/"}}},
		{"repo=r&arch=a&country=DE&protocol=http,https", false, map[string][]string{
			"m": {"http://m.example/a/d/", "https://m.example/a/d/"}, "p": {"https://p.example/a/d/"}}},
		{"repo=r&arch=a&country=DE&protocol=rsync", false, map[string][]string{
			"m": {"rsync://m.example/a/d/"}, "r": {"rsync://r.example/a/d/"}}},
	}
	for _, c := range cases {
		for seed := range uint64(8) {
			q := ParseQuery(c.query)
			r := Answer(nil, snap, &q, c.metalink, Client{}, Options{Minimum: DefaultMinimum, Rand: rand.New(rand.NewPCG(seed, 1)), Now: testNow})
			got := map[string][]string{}
			var prefs []string
			if c.metalink {
				for _, m := range urlLine.FindAllStringSubmatch(string(r.Body), -1) {
					host := hostLetter(m[2])
					got[host] = append(got[host], m[2])
					if !slices.Contains(prefs, m[1]) {
						prefs = append(prefs, m[1])
					}
				}
				if want := []string{"100", "99", "98"}[:len(c.want)]; !slices.Equal(prefs, want) {
					t.Errorf("%s seed %d: preferences %v, want %v", c.query, seed, prefs, want)
				}
			} else {
				for _, line := range strings.Split(strings.TrimSpace(string(r.Body)), "\n")[1:] {
					host := hostLetter(line)
					got[host] = append(got[host], line)
				}
			}
			if !mapsEqual(got, c.want) {
				t.Errorf("%s seed %d: listed %v, want %v", c.query, seed, got, c.want)
			}
		}
	}
}

// TestRedirectFirstHTTPInAdminOrder: the redirect goes to the first http or
// https URL the admin gave, within what protocol= lists.
func TestRedirectFirstHTTPInAdminOrder(t *testing.T) {
	snap := multiURLSnapshot()
	cases := []struct{ query, want string }{
		{"path=d/x.rpm&redirect=1&country=DE&protocol=http", "http://m.example/a/d/x.rpm"},
		{"path=d/x.rpm&redirect=1&country=DE&protocol=ftp", ""},
	}
	for _, c := range cases {
		q := ParseQuery(c.query)
		r := Answer(nil, snap, &q, false, Client{}, Options{Minimum: DefaultMinimum, Rand: seeded(), Now: testNow})
		if r.Location != c.want {
			t.Errorf("%s: redirect to %q, want %q", c.query, r.Location, c.want)
		}
	}
	for seed := range uint64(8) {
		q := ParseQuery("path=d/x.rpm&redirect=1&country=DE")
		r := Answer(nil, snap, &q, false, Client{}, Options{Minimum: DefaultMinimum, Rand: rand.New(rand.NewPCG(seed, 2)), Now: testNow})
		if r.Location != "http://m.example/a/d/x.rpm" && r.Location != "https://p.example/a/d/x.rpm" {
			t.Errorf("seed %d: redirect to %q", seed, r.Location)
		}
	}
}

// hostLetter names a URL by the first letter of its host: m, p or r.
func hostLetter(u string) string {
	_, rest, _ := strings.Cut(u, "://")
	return rest[:1]
}

func mapsEqual(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

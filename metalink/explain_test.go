package metalink

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/store"
)

// explainSnapshot is the host-rules fixture with us reachable over IPv4
// only, so that every reason Explain gives has a mirror that earns it.
func explainSnapshot(t *testing.T) (*Snapshot, *store.Dataset) {
	t.Helper()
	d := fixture()
	allowed := map[string][]string{"de2": {"DE"}}
	for i := range d.Mirrors {
		d.Mirrors[i].CountriesAllowed = allowed[d.Mirrors[i].Name]
		if d.Mirrors[i].Name == "us" {
			d.Mirrors[i].IPv6 = store.Bool(false)
		}
	}
	d.Normalize()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	return NewSnapshot(d, testNow), d
}

var (
	metalinkURL   = regexp.MustCompile(`<url [^>]*>([^<]*)</url>`)
	mirrorlistURL = regexp.MustCompile(`(?m)^()([a-z]+://\S+)$`)
)

// answerMirrors names the mirrors of a metalink or mirrorlist, in order,
// by their URLs.
func answerMirrors(t *testing.T, d *store.Dataset, body []byte) []string {
	t.Helper()
	var out []string
	urls := metalinkURL.FindAllSubmatch(body, -1)
	for _, m := range mirrorlistURL.FindAllSubmatch(body, -1) {
		urls = append(urls, [][]byte{nil, m[2]})
	}
	for _, m := range urls {
		u := string(m[1])
		i := slices.IndexFunc(d.Mirrors, func(mr store.Mirror) bool {
			return slices.ContainsFunc(mr.URLs, func(b string) bool { return strings.HasPrefix(u, b+"/") })
		})
		if i < 0 {
			t.Fatalf("URL %s of no mirror", u)
		}
		if n := d.Mirrors[i].Name; len(out) == 0 || out[len(out)-1] != n {
			out = append(out, n)
		}
	}
	return out
}

// TestExplainMatchesAnswer checks, for queries that between them give every
// reason, that Explain lists the real metalink's mirrors in its order
// (same seeded randomness), names each mirror of the snapshot once, and
// gives the expected step or reason for the mirrors the case is about.
func TestExplainMatchesAnswer(t *testing.T) {
	snap, d := explainSnapshot(t)
	addr := netip.MustParseAddr
	cases := []struct {
		name    string
		query   string
		client  Client
		minimum int
		// mirrorlist compares with the mirrorlist: the path has no metalink.
		mirrorlist bool
		steps      map[string]Step
		reasons    map[string]Reason
	}{
		{name: "country, then continent, rest over the list", client: Client{Country: "DE"}, minimum: 1,
			steps:   map[string]Step{"de1": StepCountry, "de2": StepCountry, "fr": StepContinent, "wide": StepContinent},
			reasons: map[string]Reason{"us": ReasonOverList, "jp": ReasonOverList, "stale": ReasonNotCarried}},
		{name: "country limit", client: Client{Country: "FR"}, minimum: 6,
			steps:   map[string]Step{"fr": StepCountry, "de1": StepContinent, "us": StepGlobal},
			reasons: map[string]Reason{"de2": ReasonCountryLimit, "campus": ReasonPrivate, "s3-us-east-1": ReasonRegional}},
		{name: "location", query: "&location=us-east-1", client: Client{Country: "US"}, minimum: 5,
			steps: map[string]Step{"s3-us-east-1": StepLocation, "us": StepCountry, "jp": StepGlobal}},
		{name: "not in the location", query: "&location=eu-west-1", client: Client{Country: "US"}, minimum: 5,
			reasons: map[string]Reason{"s3-us-east-1": ReasonNotInLocation}},
		{name: "cloud range", client: Client{Addr: addr("203.0.113.9"), Country: "US"}, minimum: 5,
			steps: map[string]Step{"s3-us-east-1": StepCloud}},
		{name: "private netblock", client: Client{Addr: addr("198.51.100.7"), Country: "DE"}, minimum: 5,
			steps: map[string]Step{"campus": StepNetblock, "wide": StepNetblock}},
		{name: "ASN", client: Client{Addr: addr("100.64.0.9"), ASN: 64500, Country: "JP"}, minimum: 5,
			steps: map[string]Step{"isp": StepASN, "jp": StepCountry}},
		{name: "address family", query: "&ipv=6", client: Client{Country: "US"}, minimum: 2,
			steps: map[string]Step{"de1": StepGlobal}, reasons: map[string]Reason{"us": ReasonFamily}},
		{name: "address family, too few others", query: "&ipv=6", client: Client{Country: "US"}, minimum: 50,
			steps: map[string]Step{"us": StepCountry}},
		{name: "protocol", query: "&protocol=rsync", client: Client{Country: "DE"}, minimum: 5,
			steps: map[string]Step{"de1": StepCountry}, reasons: map[string]Reason{"de2": ReasonProtocol, "fr": ReasonProtocol}},
		{name: "requested country", query: "&country=JP", client: Client{Country: "DE"}, minimum: 5,
			steps: map[string]Step{"jp": StepCountry}, reasons: map[string]Reason{"de1": ReasonOverList}},
		{name: "path", query: "&path=" + dirF41 + "/repodata/repomd.xml", client: Client{Country: "GB"}, minimum: 5,
			steps: map[string]Step{"isp": StepCountry}},
		{name: "path without a metalink: its mirrorlist's mirrors", query: "&path=" + dirF41 + "/Packages/", client: Client{Country: "DE"},
			minimum: 5, mirrorlist: true, steps: map[string]Step{"de1": StepCountry}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := "repo=fedora-41&arch=x86_64" + tc.query
			if strings.Contains(tc.query, "path=") {
				raw = strings.TrimPrefix(tc.query, "&")
			}
			q := ParseQuery(raw)
			resp := Answer(nil, snap, &q, !tc.mirrorlist, tc.client, Options{Minimum: tc.minimum, Rand: seeded(), Now: testNow})
			if resp.Status != 200 {
				t.Fatalf("answer status %d: %s", resp.Status, resp.Body)
			}
			want := answerMirrors(t, d, resp.Body)
			e := Explain(snap, &q, tc.client, Options{Minimum: tc.minimum, Rand: seeded(), Now: testNow})
			var got []string
			for i, l := range e.Listed {
				got = append(got, l.Mirror)
				if l.Position != i+1 {
					t.Errorf("%s at position %d, want %d", l.Mirror, l.Position, i+1)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("explained %v, answer lists %v", got, want)
			}
			seen := map[string]int{}
			for _, l := range e.Listed {
				seen[l.Mirror]++
				if s, ok := tc.steps[l.Mirror]; ok && s != l.Step {
					t.Errorf("%s listed by %v, want %v", l.Mirror, l.Step, s)
				}
			}
			for _, l := range e.LeftOut {
				seen[l.Mirror]++
				if r, ok := tc.reasons[l.Mirror]; ok && r != l.Reason {
					t.Errorf("%s left out as %v, want %v", l.Mirror, l.Reason, r)
				}
			}
			for name := range tc.steps {
				if !slices.Contains(got, name) {
					t.Errorf("%s not listed, want it listed", name)
				}
			}
			for name := range tc.reasons {
				if !slices.ContainsFunc(e.LeftOut, func(l LeftOut) bool { return l.Mirror == name }) {
					t.Errorf("%s not left out, want %v", name, tc.reasons[name])
				}
			}
			for id := range snap.mirrors {
				if n := snap.mirrors[id].Name; seen[n] != 1 {
					t.Errorf("%s named %d times, want once", n, seen[n])
				}
			}
		})
	}
}

// TestExplainFailure checks that a query the answer refuses is explained
// by the same message, with no mirrors.
func TestExplainFailure(t *testing.T) {
	snap, _ := explainSnapshot(t)
	for raw, want := range map[string]string{
		"repo=nope&arch=x86_64":            "repo = nope arch = x86_64 error: invalid repo or arch",
		"repo=fedora-off&arch=x86_64":      "repo disabled",
		"arch=x86_64":                      "either path=, or repo= and arch= must be specified",
		"repo=fedora-41&arch=x86_64&ipv=5": "invalid value of ipv=",
	} {
		q := ParseQuery(raw)
		e := Explain(snap, &q, Client{}, Options{Minimum: 5, Rand: seeded()})
		if e.Message != want || len(e.Listed)+len(e.LeftOut) != 0 {
			t.Errorf("%s: message %q with %d mirrors, want %q and none", raw, e.Message, len(e.Listed)+len(e.LeftOut), want)
		}
	}
}

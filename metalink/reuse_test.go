package metalink

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// reuseAnswer answers raw on snap with answers reused up to limit times.
func reuseAnswer(snap *Snapshot, raw string, c Client, limit int, now time.Time, rnd Rand) Response {
	q := ParseQuery(raw)
	return Answer(nil, snap, &q, true, c, Options{Minimum: DefaultMinimum, Rand: rnd, Now: now, Reuse: limit})
}

// urlHosts lists the hosts of an answer's <url> elements, in order, each
// once.
func urlHosts(body []byte) []string {
	var hosts []string
	for _, m := range urlHost.FindAllSubmatch(body, -1) {
		if host := string(m[1]); !slices.Contains(hosts, host) {
			hosts = append(hosts, host)
		}
	}
	return hosts
}

var urlHost = regexp.MustCompile(`<url [^>]*>[a-z]+://([^/<]+)`)

// wideSnapshot is a network of n mirrors in no country a client has, so
// that a client of no known country gets all of them, shuffled.
func wideSnapshot(t testing.TB, n int) *Snapshot {
	t.Helper()
	d := &store.Dataset{
		Repositories: []store.Repository{{Prefix: "fedora-41", Arch: "x86_64", Directory: dirF41}},
		Directories:  []store.Directory{{Path: dirF41, Current: store.Repomd{Size: 1, Timestamp: 1, SHA256: sha}}},
	}
	for i := range n {
		name := fmt.Sprintf("m%02d", i)
		d.Mirrors = append(d.Mirrors, store.Mirror{Name: name, Country: "SE", Bandwidth: 100 + i, Enabled: true,
			AlwaysUpToDate: true, URLs: []string{"https://" + name + ".example/pub"}})
	}
	d.Normalize()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	return NewSnapshot(d, testNow)
}

// nowhere is a client of no known country; repoQuery asks for the repository's
// metalink and nothing else.
var nowhere = Client{Addr: netip.MustParseAddr("192.0.2.9")}

const repoQuery = "repo=fedora-41&arch=x86_64"

// TestReuseGivesOneDrawToLimitClients checks that a drawn answer is given,
// byte for byte, to as many clients as the limit allows within its second,
// marked shared from the second client on, and that a fresh draw follows.
func TestReuseGivesOneDrawToLimitClients(t *testing.T) {
	snap := wideSnapshot(t, 30)
	rnd := seeded()
	first := reuseAnswer(snap, repoQuery, nowhere, 3, testNow, rnd)
	if first.Shared || first.Status != 200 || len(urlHosts(first.Body)) != 30 {
		t.Fatalf("first answer: shared %v, status %d, %d mirrors; want a fresh answer listing 30", first.Shared, first.Status, len(urlHosts(first.Body)))
	}
	for i := 2; i <= 3; i++ {
		r := reuseAnswer(snap, repoQuery, nowhere, 3, testNow.Add(500*time.Millisecond), rnd)
		if !r.Shared || !bytes.Equal(r.Body, first.Body) {
			t.Fatalf("answer %d: shared %v, same body %v; want the first answer again", i, r.Shared, bytes.Equal(r.Body, first.Body))
		}
		if want := []string{strconv.Itoa(len(r.Body))}; !slices.Equal(r.ContentLength, want) {
			t.Errorf("answer %d: Content-Length %q, want %q", i, r.ContentLength, want)
		}
		if r.ContentType != MetalinkType || r.FirstStep != first.FirstStep {
			t.Errorf("answer %d: type %q, first step %v; want %q, %v", i, r.ContentType, r.FirstStep, MetalinkType, first.FirstStep)
		}
	}
	fourth := reuseAnswer(snap, repoQuery, nowhere, 3, testNow, rnd)
	if fourth.Shared || slices.Equal(urlHosts(fourth.Body), urlHosts(first.Body)) {
		t.Errorf("fourth answer: shared %v, same order %v; want a fresh draw", fourth.Shared, slices.Equal(urlHosts(fourth.Body), urlHosts(first.Body)))
	}
	// The next second has answers of its own.
	next := reuseAnswer(snap, repoQuery, nowhere, 3, testNow.Add(time.Second), rnd)
	if next.Shared || slices.Equal(urlHosts(next.Body), urlHosts(fourth.Body)) {
		t.Errorf("next second: shared %v, same order as the last draw %v; want a fresh draw", next.Shared, slices.Equal(urlHosts(next.Body), urlHosts(fourth.Body)))
	}
	// Metalink 4 answers are kept apart from Metalink 3.0 ones.
	q := ParseQuery(repoQuery)
	m4 := Answer(nil, snap, &q, true, nowhere, Options{Minimum: DefaultMinimum, Rand: rnd, Now: testNow, Reuse: 3, Meta4: true})
	if m4.ContentType != Metalink4Type || m4.Shared {
		t.Errorf("Metalink 4 answer: type %q, shared %v; want a fresh %q", m4.ContentType, m4.Shared, Metalink4Type)
	}
	m4again := Answer(nil, snap, &q, true, nowhere, Options{Minimum: DefaultMinimum, Rand: rnd, Now: testNow, Reuse: 3, Meta4: true})
	if m4again.ContentType != Metalink4Type || !m4again.Shared || !bytes.Equal(m4again.Body, m4.Body) {
		t.Errorf("second Metalink 4 answer: type %q, shared %v; want the first again", m4again.ContentType, m4again.Shared)
	}
}

// TestReuseOnlyForClientsAlike checks that an answer is reused only for
// clients whose answer depends on their country and family alone: a
// netblock, ASN, location, cloud range, country= or protocol= always gets
// an answer of its own, and clients of another country get theirs.
func TestReuseOnlyForClientsAlike(t *testing.T) {
	snap := fixtureSnapshot(t)
	rnd := seeded()
	plainDE := Client{Addr: netip.MustParseAddr("192.0.2.10"), Country: "DE"}
	made := reuseAnswer(snap, repoQuery, plainDE, 100, testNow, rnd)
	if again := reuseAnswer(snap, repoQuery, plainDE, 100, testNow, rnd); !again.Shared || !bytes.Equal(again.Body, made.Body) {
		t.Fatalf("a second client of Germany was not given the first one's answer")
	}
	for _, tt := range []struct {
		name, repoQuery string
		c               Client
		first           string // the host the answer must list first
	}{
		{"netblock", repoQuery, Client{Addr: netip.MustParseAddr("198.51.100.7"), Country: "DE"}, "campus.example"},
		{"wider netblock", repoQuery, Client{Addr: netip.MustParseAddr("198.51.7.7"), Country: "DE"}, "wide.example"},
		{"ASN", repoQuery, Client{Addr: netip.MustParseAddr("192.0.2.11"), Country: "DE", ASN: 64500}, "isp.example"},
		{"location", repoQuery + "&location=us-east-1", plainDE, "bucket.s3.us-east-1.amazonaws.com"},
		{"cloud range", repoQuery, Client{Addr: netip.MustParseAddr("203.0.113.5"), Country: "DE"}, "bucket.s3.us-east-1.amazonaws.com"},
		{"country=", repoQuery + "&country=JP", plainDE, "jp.example"},
		{"protocol=", repoQuery + "&protocol=rsync", plainDE, "de1.example"},
		{"other country", repoQuery, Client{Addr: netip.MustParseAddr("192.0.2.12"), Country: "FR"}, "fr.example"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for i := range 3 {
				r := reuseAnswer(snap, tt.repoQuery, tt.c, 100, testNow, rnd)
				if bytes.Equal(r.Body, made.Body) {
					t.Fatalf("answer %d is the German client's", i)
				}
				if hosts := urlHosts(r.Body); len(hosts) == 0 || hosts[0] != tt.first {
					t.Fatalf("answer %d lists %v, want %s first", i, hosts, tt.first)
				}
				if addressed := tt.name != "other country"; addressed && r.Shared {
					t.Fatalf("answer %d was shared, want one drawn for this client alone", i)
				}
			}
		})
	}
}

// TestReuseFollowsSnapshots checks that a patched snapshot never gives an
// answer kept by the snapshot it replaced.
func TestReuseFollowsSnapshots(t *testing.T) {
	snap := wideSnapshot(t, 10)
	rnd := seeded()
	old := reuseAnswer(snap, repoQuery, nowhere, 100, testNow, rnd)
	gone := urlHosts(old.Body)[0]
	name := strings.TrimSuffix(gone, ".example")
	next := snap.Patch(&store.ChangeSet{Mirrors: []store.MirrorChange{{Name: name}}}, testNow)
	for i := range 5 {
		r := reuseAnswer(next, repoQuery, nowhere, 100, testNow, rnd)
		if hosts := urlHosts(r.Body); len(hosts) != 9 || slices.Contains(hosts, gone) {
			t.Fatalf("answer %d from the patched snapshot lists %v, want the 9 mirrors left", i, hosts)
		}
	}
	if r := reuseAnswer(snap, repoQuery, nowhere, 100, testNow, rnd); !r.Shared || !bytes.Equal(r.Body, old.Body) {
		t.Errorf("the old snapshot lost its answer")
	}
}

// TestReuseBudget checks that answers past ReuseBudget are not kept, and
// are answered all the same.
func TestReuseBudget(t *testing.T) {
	defer func(b int64) { ReuseBudget = b }(ReuseBudget)
	ReuseBudget = 0
	snap := wideSnapshot(t, 10)
	rnd := seeded()
	for i := range 3 {
		r := reuseAnswer(snap, repoQuery, nowhere, 100, testNow, rnd)
		if r.Shared || len(urlHosts(r.Body)) != 10 {
			t.Fatalf("answer %d: shared %v, %d mirrors; want a fresh answer listing 10", i, r.Shared, len(urlHosts(r.Body)))
		}
	}
}

// TestReusedAnswersStayWeighted checks that with reuse each mirror still
// comes first in proportion to its bandwidth: 1 to 3 here.
func TestReusedAnswersStayWeighted(t *testing.T) {
	d := &store.Dataset{
		Repositories: []store.Repository{{Prefix: "fedora-41", Arch: "x86_64", Directory: dirF41}},
		Directories:  []store.Directory{{Path: dirF41, Current: store.Repomd{Size: 1, Timestamp: 1, SHA256: sha}}},
		Mirrors: []store.Mirror{
			{Name: "slow", Country: "SE", Bandwidth: 100, Enabled: true, AlwaysUpToDate: true, URLs: []string{"https://slow.example/pub"}},
			{Name: "fast", Country: "SE", Bandwidth: 300, Enabled: true, AlwaysUpToDate: true, URLs: []string{"https://fast.example/pub"}},
		},
	}
	d.Normalize()
	snap := NewSnapshot(d, testNow)
	rnd := rand.New(rand.NewPCG(3, 4))
	const answers = 8000
	fast, shared := 0, 0
	for i := range answers {
		r := reuseAnswer(snap, repoQuery, nowhere, 8, testNow.Add(time.Duration(i/100)*time.Second), rnd)
		if urlHosts(r.Body)[0] == "fast.example" {
			fast++
		}
		if r.Shared {
			shared++
		}
	}
	// 1,000 draws: the share's standard deviation is under 0.014.
	if share := float64(fast) / answers; share < 0.7 || share > 0.8 {
		t.Errorf("fast mirror first in %.3f of answers, want about 0.75", share)
	}
	if shared < answers*3/4 {
		t.Errorf("%d of %d answers shared, want 7 in 8", shared, answers)
	}
}

// TestReuseConcurrent has clients answered at once from one snapshot, as
// the server's goroutines are: every answer lists every mirror, whether it
// was drawn or reused (run with -race to check the sharing itself).
func TestReuseConcurrent(t *testing.T) {
	snap := wideSnapshot(t, 40)
	const goroutines, each = 8, 300
	errs := make(chan string, goroutines)
	for g := range goroutines {
		go func() {
			q := ParseQuery(repoQuery)
			for i := range each {
				// The global generator, as the server uses, so that
				// goroutines share nothing but the snapshot.
				now := testNow.Add(time.Duration(i/50) * time.Second)
				r := Answer(nil, snap, &q, true, nowhere, Options{Minimum: DefaultMinimum, Rand: GlobalRand{}, Now: now, Reuse: 4, Meta4: (g+i)%3 == 0})
				if hosts := urlHosts(r.Body); r.Status != 200 || len(hosts) != 40 {
					errs <- fmt.Sprintf("goroutine %d, answer %d: status %d, %d mirrors", g, i, r.Status, len(hosts))
					return
				}
			}
			errs <- ""
		}()
	}
	for range goroutines {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

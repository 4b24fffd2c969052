package status

import (
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/metalink"
	"github.com/metalinkd/metalinkd/store"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var built = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

const (
	relDir  = "releases/41/Everything/x86_64/os"
	relArm  = "releases/41/Everything/aarch64/os"
	updDir  = "updates/41/Everything/x86_64"
	shaNow  = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	shaAlt  = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	shaGone = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	shaUpd  = "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
)

// dataset is a network with every kind of mirror: public ones fresh,
// stale (alternate and outdated), unreported, always up to date and
// disabled, a private mirror and two regional buckets. Every secret the
// page must not show is spelled with "secret" in it.
func dataset() *store.Dataset {
	rel := store.Repomd{Size: 3000, Timestamp: 1_795_000_000, SHA256: shaNow, Recorded: built.Add(-2 * time.Hour)}
	alt := store.Repomd{Size: 2900, Timestamp: 1_794_000_000, SHA256: shaAlt, Recorded: built.Add(-50 * time.Hour), Superseded: built.Add(-2 * time.Hour)}
	return &store.Dataset{
		Locations: []store.Location{{Name: "us-east-1", Description: "AWS US East"}, {Name: "eu-west-1"}},
		Mirrors: []store.Mirror{
			{Name: "mirror.example.de", Country: "DE", Bandwidth: 1000, Enabled: true,
				URLs: []string{"rsync://mirror.example.de/fedora", "https://mirror.example.de/fedora", "http://mirror.example.de/fedora"}},
			{Name: "ftp.example.fr", Country: "FR", Bandwidth: 100, Enabled: true, URLs: []string{"http://ftp.example.fr/pub/fedora"}},
			{Name: "slow.example.fr", Country: "FR", Bandwidth: 10, Enabled: true, URLs: []string{"https://slow.example.fr/fedora"}},
			{Name: "new.example.us", Country: "US", Bandwidth: 500, Enabled: true, URLs: []string{"https://new.example.us/fedora"}},
			{Name: "always.example.jp", Country: "JP", Bandwidth: 500, Enabled: true, AlwaysUpToDate: true, URLs: []string{"https://always.example.jp/fedora"}},
			{Name: "off.example.de", Country: "DE", Bandwidth: 50, Enabled: false, URLs: []string{"ftp://off.example.de/fedora"}},
			{Name: "secret-private-mirror", Country: "DE", Bandwidth: 900, Enabled: true, Private: true,
				URLs: []string{"https://secret-private.example.org/fedora"}, Netblocks: []string{"198.51.100.0/24"}, ASN: 64511},
			{Name: "secret-regional-a", Country: "US", Bandwidth: 10000, Enabled: true, Region: "us-east-1", Bucket: "secret-bucket-a",
				Locations: []string{"us-east-1"}, URLs: []string{"https://secret-bucket-a.s3.us-east-1.amazonaws.com/fedora"}},
			{Name: "secret-regional-b", Country: "US", Bandwidth: 10000, Enabled: true, Region: "us-east-1", Bucket: "secret-bucket-b",
				Locations: []string{"us-east-1"}, URLs: []string{"https://secret-bucket-b.s3.us-east-1.amazonaws.com/fedora"},
				Netblocks: []string{"203.0.113.0/24"}},
		},
		Repositories: []store.Repository{
			{Prefix: "fedora-41", Arch: "x86_64", Directory: relDir},
			{Prefix: "fedora-41", Arch: "aarch64", Directory: relArm},
			{Prefix: "updates-released-f41", Arch: "x86_64", Directory: updDir},
		},
		Directories: []store.Directory{
			{Path: relArm, Current: rel},
			{Path: relDir, Current: rel, Alternates: []store.Repomd{alt}},
			{Path: updDir, Current: store.Repomd{Size: 5000, Timestamp: 1_795_100_000, SHA256: shaUpd, Recorded: built.Add(-time.Hour)}},
		},
		Freshness: []store.Freshness{
			{Mirror: "mirror.example.de", Directory: relDir, SHA256: shaNow, Reported: built.Add(-time.Hour)},
			{Mirror: "mirror.example.de", Directory: relArm, SHA256: shaNow, Reported: built.Add(-time.Hour)},
			{Mirror: "mirror.example.de", Directory: updDir, SHA256: shaUpd, Reported: built.Add(-time.Hour)},
			{Mirror: "ftp.example.fr", Directory: relDir, SHA256: shaAlt, Reported: built.Add(-3 * time.Hour)},
			{Mirror: "ftp.example.fr", Directory: relArm, SHA256: shaNow, Reported: built.Add(-time.Hour)},
			{Mirror: "slow.example.fr", Directory: relDir, SHA256: shaGone, Reported: built.Add(-100 * time.Hour)},
			{Mirror: "secret-private-mirror", Directory: relDir, SHA256: shaNow, Reported: built.Add(-time.Hour)},
			{Mirror: "secret-regional-a", Directory: relDir, SHA256: shaNow, Reported: built.Add(-time.Hour)},
		},
	}
}

// board returns a board showing dataset's page.
func board(t testing.TB) *Board {
	t.Helper()
	d := dataset()
	var b Board
	b.Update(d, metalink.NewSnapshot(d, built))
	return &b
}

func get(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	return w
}

func TestPageGolden(t *testing.T) {
	w := get(t, board(t), "/mirrors")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	golden := filepath.Join("testdata", "page.golden")
	if *update {
		if err := os.WriteFile(golden, w.Body.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), w.Body.String()); diff != "" {
		t.Errorf("page differs from %s (-want +got):\n%s", golden, diff)
	}
}

func TestPageShowsNothingPrivate(t *testing.T) {
	body := get(t, board(t), "/mirrors").Body.String()
	var secrets []string
	for _, m := range dataset().Mirrors {
		if !m.Private && !m.Regional() {
			continue
		}
		secrets = append(secrets, m.Name, m.Bucket)
		secrets = append(secrets, m.URLs...)
		secrets = append(secrets, m.Netblocks...)
	}
	secrets = append(secrets, "secret", "64511", "198.51.100", "203.0.113", "amazonaws")
	for _, s := range secrets {
		if s != "" && strings.Contains(body, s) {
			t.Errorf("the page shows %q", s)
		}
	}
	// Public mirrors are listed by name, never by URL either.
	for _, s := range []string{"mirror.example.de", "off.example.de"} {
		if !strings.Contains(body, s) {
			t.Errorf("the page does not list public mirror %s", s)
		}
	}
	if strings.Contains(body, "https://mirror.example.de") {
		t.Error("the page shows a mirror URL")
	}
}

func TestPageLoadsNothingFromElsewhere(t *testing.T) {
	w := get(t, board(t), "/mirrors")
	body := w.Body.String()
	for _, s := range []string{"<script", "<link", "<img", "@import", "url(", "src="} {
		if strings.Contains(body, s) {
			t.Errorf("the page contains %q", s)
		}
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}

func TestBoardBeforeFirstUpdate(t *testing.T) {
	var b Board
	if w := get(t, &b, "/mirrors"); w.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", w.Code)
	}
}

func TestBoardRendersOncePerSnapshot(t *testing.T) {
	b := board(t)
	e := b.cur.Load()
	if e.html != nil {
		t.Fatal("the page was rendered before it was viewed")
	}
	first := get(t, b, "/mirrors").Body.String()
	if string(e.html) != first {
		t.Fatal("the rendered page was not kept for the snapshot")
	}
	if again := get(t, b, "/mirrors/").Body.String(); again != first {
		t.Error("a second view answered another page")
	}
	d := dataset()
	d.Mirrors[0].Enabled = false
	next := metalink.NewSnapshot(d, built.Add(time.Minute))
	b.Update(d, next)
	if b.snapshot() != next {
		t.Fatal("the board does not describe the new snapshot")
	}
	second := get(t, b, "/mirrors").Body.String()
	if second == first || !strings.Contains(second, "12:01 UTC") {
		t.Error("the page was not rebuilt for the new snapshot")
	}
}

func TestBoardMethods(t *testing.T) {
	b := board(t)
	for method, want := range map[string]int{http.MethodGet: 200, http.MethodHead: 200, http.MethodPost: 405, http.MethodDelete: 405} {
		w := httptest.NewRecorder()
		b.ServeHTTP(w, httptest.NewRequest(method, "/mirrors", nil))
		if w.Code != want {
			t.Errorf("%s /mirrors: %d, want %d", method, w.Code, want)
		}
		if want == 405 && w.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /mirrors: Allow %q", method, w.Header().Get("Allow"))
		}
	}
}

// TestPageShowsWhyAMirrorIsDisabled checks that a reason and a time,
// when health data gives them, are shown beside "disabled", and that
// nothing is shown without them.
func TestPageShowsWhyAMirrorIsDisabled(t *testing.T) {
	p := Build(dataset(), built)
	var off *Mirror
	for i := range p.Countries {
		for j := range p.Countries[i].Mirrors {
			if m := &p.Countries[i].Mirrors[j]; !m.Enabled {
				off = m
			}
		}
	}
	if off == nil {
		t.Fatal("the fixture has no disabled public mirror")
	}
	html, err := Render(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := `<td class="state-disabled">disabled</td>`; !strings.Contains(string(html), want) {
		t.Errorf("without health data the page lacks %s", want)
	}
	off.Reason, off.Since = "unreachable over https", built.Add(-26*time.Hour)
	if html, err = Render(p); err != nil {
		t.Fatal(err)
	}
	if want := `<td class="state-disabled">disabled: unreachable over https since 2026-11-29 10:00 UTC</td>`; !strings.Contains(string(html), want) {
		t.Errorf("the page lacks %s", want)
	}
}

// TestPageShowsCrawlerDisabled checks that a mirror the crawler took out
// of answers shows as disabled with the recorded reason and time, is not
// counted as enabled, and that a mirror the crawler keeps stays enabled.
func TestPageShowsCrawlerDisabled(t *testing.T) {
	d := dataset()
	d.Health = []store.MirrorHealth{
		{Mirror: "ftp.example.fr", LastCrawl: built, ConsecutiveFailures: 4, Disabled: true,
			Reason: "4 consecutive failed crawls; last: http timeout", Since: built.Add(-3 * time.Hour)},
		{Mirror: "mirror.example.de", LastCrawl: built},
	}
	before := Build(dataset(), built)
	p := Build(d, built)
	if p.Enabled != before.Enabled-1 || p.Public != before.Public {
		t.Errorf("enabled %d of %d public, want %d of %d", p.Enabled, p.Public, before.Enabled-1, before.Public)
	}
	html, err := Render(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `<tr><td>ftp.example.fr</td><td>http</td><td class="state-disabled">disabled: 4 consecutive failed crawls; last: http timeout since 2026-11-30 09:00 UTC</td></tr>`
	if !strings.Contains(string(html), want) {
		t.Errorf("the page lacks %s", want)
	}
	if want := `<tr><td>mirror.example.de</td><td>https, http, rsync</td><td class="state-enabled">enabled</td></tr>`; !strings.Contains(string(html), want) {
		t.Errorf("the page lacks %s", want)
	}
}

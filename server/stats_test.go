package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/metalink"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// countedRequests sums the requests s holds.
func countedRequests(s *Stats) int64 {
	var n int64
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for _, c := range sh.reqs {
			n += c
		}
		sh.mu.Unlock()
	}
	return n
}

func TestCountryID(t *testing.T) {
	for _, c := range []string{"AA", "DE", "US", "ZZ"} {
		if got := countryName(countryID(c)); got != c {
			t.Errorf("countryName(countryID(%q)) = %q", c, got)
		}
	}
	for _, c := range []string{"", "D", "DEU", "1A", "é", "--"} {
		if id := countryID(c); id != 0 {
			t.Errorf("countryID(%q) = %d, want 0 (unknown)", c, id)
		}
	}
	if countryID("de") != countryID("DE") {
		t.Error("countryID is case-sensitive")
	}
}

func TestCountmeBucket(t *testing.T) {
	for v, want := range map[string]int{"1": 1, "2": 2, "3": 3, "4": 4, "0": 0, "5": 0, "": 0, "01": 0, "1x": 0, "-1": 0, "10": 0, " 1": 0} {
		if got := countmeBucket(v); got != want {
			t.Errorf("countmeBucket(%q) = %d, want %d", v, got, want)
		}
	}
}

func TestCountmeWeekMatchesLibdnf(t *testing.T) {
	// libdnf's windows start at COUNTME_OFFSET (Monday 1970-01-05) and last
	// a week; Fedora's reports number weeks from the same epoch.
	for _, tt := range []struct {
		at   time.Time
		week int32
	}{
		{time.Unix(store.CountmeEpoch, 0), 0},
		{time.Unix(store.CountmeEpoch-1, 0), -1},
		{time.Unix(1683208046, 0), 2782}, // a week number Fedora's scripts give
		{time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), statsWeek(time.Date(2026, 12, 6, 23, 59, 59, 0, time.UTC))},
	} {
		if got := statsWeek(tt.at); got != tt.week {
			t.Errorf("statsWeek(%v) = %d, want %d", tt.at, got, tt.week)
		}
		start := store.CountmeWeek(tt.at)
		if start.Weekday() != time.Monday || start.After(tt.at) || tt.at.Sub(start) >= 7*24*time.Hour {
			t.Errorf("CountmeWeek(%v) = %v, not the Monday starting its week", tt.at, start)
		}
	}
}

// statsServer serves the bench dataset with statistics on; now is its clock.
func statsServer(t *testing.T, now *time.Time) (*Server, *Stats) {
	t.Helper()
	st := NewStats()
	d := benchDataset(20)
	st.loaded(d)
	geo := fakeGeo{netip.MustParseAddr("192.0.2.1"): {Country: "DE"}, netip.MustParseAddr("192.0.2.2"): {}}
	s := New(NewStaticReloader(metalink.NewSnapshot(d, *now)), geo, slog.New(slog.DiscardHandler),
		Options{Stats: st, Now: func() time.Time { return *now }})
	return s, st
}

func TestStatsCountsAnswers(t *testing.T) {
	now := time.Date(2026, 3, 4, 23, 59, 0, 0, time.UTC) // a Wednesday
	s, st := statsServer(t, &now)
	h := s.Handler()
	get := func(method, target, addr string) int {
		req := httptest.NewRequest(method, target, nil)
		req.RemoteAddr = addr + ":40000"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	for range 3 {
		get("GET", "/metalink?repo=fedora-41&arch=x86_64&countme=1", "192.0.2.1")
	}
	get("HEAD", "/metalink?repo=fedora-41&arch=x86_64&countme=1", "192.0.2.1") // not a countme hit
	get("GET", "/mirrorlist?repo=fedora-41&arch=x86_64&countme=4&location=us-east-1", "192.0.2.2")
	get("GET", "/metalink?repo=fedora-41&arch=x86_64&countme=9", "192.0.2.1")         // not a bucket
	get("GET", "/metalink?repo=fedora-41&arch=x86_64&countme=abc", "192.0.2.1")       // ignored, answered
	get("GET", "/metalink?repo=no-such-repo&arch=x86_64&countme=2", "192.0.2.1")      // 404: no countme
	get("GET", "/metalink?repo=random-1234&arch=weird&location=nowhere", "192.0.2.1") // collapses to other
	now = now.Add(2 * time.Minute)                                                    // Thursday
	if code := get("GET", "/metalink?repo=fedora-41&arch=x86_64&countme=2", "192.0.2.1"); code != http.StatusOK {
		t.Fatalf("metalink: status %d", code)
	}
	if code := get("GET", "/metalink?repo=fedora-41&arch=x86_64&countme=abc", "192.0.2.1"); code != http.StatusOK {
		t.Errorf("a bad countme value: status %d, want the answer (200), as Fedora's server ignores it", code)
	}

	db, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := st.Flush(t.Context(), db, now, store.DefaultStatsRetention); err != nil {
		t.Fatal(err)
	}
	if n := countedRequests(st); n != 0 {
		t.Errorf("after a flush %d requests are still held", n)
	}
	got, err := db.RequestStats(t.Context(), store.StatsQuery{By: []string{store.ByDay, store.ByRepo, store.ByArch, store.ByCountry, store.ByLocation, store.ByStep}})
	if err != nil {
		t.Fatal(err)
	}
	wed, thu := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	want := []store.RequestCount{
		{Day: wed, Repo: "fedora-41", Arch: "x86_64", Country: "--", Location: "us-east-1", Step: "location", Count: 1},
		{Day: wed, Repo: "fedora-41", Arch: "x86_64", Country: "DE", Location: "", Step: "country", Count: 6},
		{Day: wed, Repo: "other", Arch: "other", Country: "DE", Location: "other", Step: "none", Count: 1},
		{Day: wed, Repo: "other", Arch: "x86_64", Country: "DE", Location: "", Step: "none", Count: 1},
		{Day: thu, Repo: "fedora-41", Arch: "x86_64", Country: "DE", Location: "", Step: "country", Count: 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request statistics (-want +got):\n%s", diff)
	}
	cm, err := db.CountmeStats(t.Context(), store.StatsQuery{By: []string{store.ByWeek, store.ByRepo, store.ByArch, store.ByBucket}})
	if err != nil {
		t.Fatal(err)
	}
	week := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	wantCM := []store.CountmeCount{
		{Week: week, Repo: "fedora-41", Arch: "x86_64", Bucket: 1, Count: 3},
		{Week: week, Repo: "fedora-41", Arch: "x86_64", Bucket: 2, Count: 1},
		{Week: week, Repo: "fedora-41", Arch: "x86_64", Bucket: 4, Count: 1},
	}
	if diff := cmp.Diff(wantCM, cm); diff != "" {
		t.Errorf("countme statistics (-want +got):\n%s", diff)
	}
	if st.flushes.Load() != 1 || st.rowsWritten.Load() != uint64(len(want)+len(wantCM)) || st.countmeHits[1].Load() != 3 {
		t.Errorf("flushes %d, rows %d, countme hits of bucket 1 %d", st.flushes.Load(), st.rowsWritten.Load(), st.countmeHits[1].Load())
	}
}

// failingStats is a store whose statistics writes fail.
type failingStats struct{ store.Stats }

func (failingStats) AddStats(context.Context, []store.RequestCount, []store.CountmeCount, time.Time, store.StatsRetention) error {
	return store.ErrUnavailable
}

func TestStatsFlushFailureKeepsCounts(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	s, st := statsServer(t, &now)
	h := s.Handler()
	for range 5 {
		req := httptest.NewRequest("GET", "/metalink?repo=fedora-41&arch=x86_64&countme=3", nil)
		req.RemoteAddr = "192.0.2.1:40000"
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	if err := st.Flush(t.Context(), failingStats{}, now, store.DefaultStatsRetention); err == nil {
		t.Fatal("a failing store's flush succeeded")
	}
	if n := countedRequests(st); n != 5 || st.flushFailures.Load() != 1 {
		t.Fatalf("after a failed flush: %d requests held, %d failures; want 5 and 1", n, st.flushFailures.Load())
	}
	db, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := st.Flush(t.Context(), db, now, store.DefaultStatsRetention); err != nil {
		t.Fatal(err)
	}
	cm, err := db.CountmeStats(t.Context(), store.StatsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.RequestStats(t.Context(), store.StatsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Count != 5 || len(cm) != 1 || cm[0].Count != 5 {
		t.Errorf("after the retry: requests %v, countme %v; want 5 of each", got, cm)
	}
}

func TestLabelTableBounded(t *testing.T) {
	tbl := newLabelTable()
	names := make([]string, 0, maxLabels+10)
	for i := range maxLabels + 10 {
		names = append(names, "repo-"+string(rune('a'+i%26))+time.Duration(i).String())
	}
	tbl = tbl.with(names)
	if len(tbl.names) != maxLabels {
		t.Errorf("%d labels, want the bound %d", len(tbl.names), maxLabels)
	}
	if tbl.id(names[len(names)-1]) != labelOther {
		t.Error("a name past the bound has an id of its own")
	}
	again := tbl.with(names[:5])
	if again != tbl {
		t.Error("adding known names copied the table")
	}
}

func TestStatsMetrics(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	s, st := statsServer(t, &now)
	m := NewMetrics()
	m.WatchStats(st)
	h := s.Handler()
	for _, target := range []string{
		"/metalink?repo=fedora-41&arch=x86_64&countme=1",
		"/metalink?repo=fedora-41&arch=x86_64&countme=4",
		"/metalink?repo=fedora-41&arch=x86_64&countme=4",
		"/metalink?repo=fedora-41&arch=x86_64&countme=5",
	} {
		req := httptest.NewRequest("GET", target, nil)
		req.RemoteAddr = "192.0.2.1:40000"
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	st.Flush(t.Context(), failingStats{}, now, store.DefaultStatsRetention)
	db, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := st.Flush(t.Context(), db, now, store.DefaultStatsRetention); err != nil {
		t.Fatal(err)
	}
	got := gathered(t, m)
	for key, want := range map[string]float64{
		`metalinkd_countme_hits_total{bucket=1}`: 1,
		`metalinkd_countme_hits_total{bucket=2}`: 0,
		`metalinkd_countme_hits_total{bucket=4}`: 2,
		`metalinkd_stats_flushes_total{}`:        1,
		`metalinkd_stats_flush_failures_total{}`: 1,
		`metalinkd_stats_rows_written_total{}`:   3, // one request row, two countme rows
	} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %v (present %t), want %v", key, v, ok, want)
		}
	}
}

// BenchmarkMetalinkStats is a whole metalink answer of 50 mirrors with the
// statistics off and on (a countme hit each time, the costliest case).
func BenchmarkMetalinkStats(b *testing.B) {
	const target = "/metalink?repo=fedora-41&arch=x86_64&location=us-east-1&countme=1"
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("stats=%t", on), func(b *testing.B) {
			opts := Options{}
			if on {
				opts.Stats = NewStats()
			}
			h := benchHandlerWith(50, opts)
			req := httptest.NewRequest(http.MethodGet, target, nil)
			req.RemoteAddr = "192.0.2.1:40000"
			dw := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(dw.h)
				h.ServeHTTP(dw, req)
			}
		})
	}
}

// BenchmarkStatsCount is what the statistics add to one answer, from
// parallel goroutines as a server's connections count.
func BenchmarkStatsCount(b *testing.B) {
	s := NewStats()
	s.loaded(benchDataset(5))
	a := answer{now: time.Now(), repo: "fedora-41", arch: "x86_64", country: "DE", location: "us-east-1", step: metalink.StepLocation, countme: 1}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		a := a
		for pb.Next() {
			s.count(&a)
		}
	})
}

// TestStatsFlushWhileCounting flushes while goroutines count: every count
// reaches the store exactly once.
func TestStatsFlushWhileCounting(t *testing.T) {
	s := NewStats()
	s.loaded(benchDataset(5))
	db, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	const workers, each = 4, 5000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := answer{now: now, repo: "fedora-41", arch: "x86_64", country: benchCountries[w], step: metalink.StepCountry, countme: 1 + w%4}
			for range each {
				s.count(&a)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	flushes := 0
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		if err := s.Flush(t.Context(), db, now, store.DefaultStatsRetention); err != nil {
			t.Fatal(err)
		}
		flushes++
	}
	got, err := db.RequestStats(t.Context(), store.StatsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	cm, err := db.CountmeStats(t.Context(), store.StatsQuery{By: []string{store.ByBucket}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Count != workers*each {
		t.Errorf("after %d flushes the store holds %v requests, want %d", flushes, got, workers*each)
	}
	want := []store.CountmeCount{{Bucket: 1, Count: each}, {Bucket: 2, Count: each}, {Bucket: 3, Count: each}, {Bucket: 4, Count: each}}
	if diff := cmp.Diff(want, cm); diff != "" {
		t.Errorf("countme after concurrent flushes (-want +got):\n%s", diff)
	}
}

// recordingStats counts the statistics writes it is asked for.
type recordingStats struct {
	store.Stats
	writes int
}

func (r *recordingStats) AddStats(context.Context, []store.RequestCount, []store.CountmeCount, time.Time, store.StatsRetention) error {
	r.writes++
	return nil
}

func TestStatsIdleFlushWritesNothing(t *testing.T) {
	s := NewStats()
	rec := &recordingStats{}
	for range 3 {
		if err := s.Flush(t.Context(), rec, time.Now(), store.DefaultStatsRetention); err != nil {
			t.Fatal(err)
		}
	}
	s.count(&answer{now: time.Now(), repo: "x"})
	if err := s.Flush(t.Context(), rec, time.Now(), store.DefaultStatsRetention); err != nil {
		t.Fatal(err)
	}
	if rec.writes != 1 || s.flushes.Load() != 1 {
		t.Errorf("%d writes and %d flushes counted for three idle flushes and one with a request, want 1 and 1", rec.writes, s.flushes.Load())
	}
}

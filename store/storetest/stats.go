package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

// Statistics, as the suite settles them:
//   - AddStats adds to the stored counts; repeated labels in one call add up.
//   - A read sums over the dimensions it does not keep and sorts by those
//     it keeps; Since and Until are inclusive.
//   - The retention drops days and weeks older than it as of the flush's
//     time, in the same call.
//   - Invalid counts (zero, a bucket outside 1..4, a day not at midnight, a
//     week not starting a countme week) are ErrInvalid and write nothing.
//   - Statistics are not the dataset: Load does not change.

// statsDay is a UTC day of the suite; statsWeek the countme week holding it.
func statsDay(n int) time.Time { return time.Date(2026, 3, 2+n, 0, 0, 0, 0, time.UTC) }

func statsWeek(n int) time.Time { return store.CountmeWeek(statsDay(7 * n)) }

var everyStat = store.StatsRetention{RequestDays: 100000, CountmeWeeks: 10000}

func testStats(t *testing.T, s store.Store) {
	before := load(t, s)
	reqs := []store.RequestCount{
		{Day: statsDay(0), Repo: "fedora-41", Arch: "x86_64", Country: "DE", Location: "", Step: "country", Count: 3},
		{Day: statsDay(0), Repo: "fedora-41", Arch: "x86_64", Country: "DE", Location: "", Step: "country", Count: 2},
		{Day: statsDay(0), Repo: "fedora-41", Arch: "aarch64", Country: "US", Location: "us-east-1", Step: "location", Count: 7},
		{Day: statsDay(1), Repo: "epel-9", Arch: "x86_64", Country: "--", Location: "other", Step: "global", Count: 1},
	}
	cm := []store.CountmeCount{
		{Week: statsWeek(0), Repo: "fedora-41", Arch: "x86_64", Bucket: 1, Count: 4},
		{Week: statsWeek(0), Repo: "fedora-41", Arch: "x86_64", Bucket: 4, Count: 6},
		{Week: statsWeek(1), Repo: "fedora-41", Arch: "x86_64", Bucket: 4, Count: 1},
	}
	now := statsDay(2)
	must(t, "AddStats", s.AddStats(ctx(t), reqs, cm, now, everyStat))
	must(t, "AddStats again", s.AddStats(ctx(t), reqs[:1], cm[:1], now, everyStat))

	got, err := s.RequestStats(ctx(t), store.StatsQuery{By: []string{store.ByDay, store.ByRepo, store.ByArch, store.ByCountry, store.ByLocation, store.ByStep}})
	must(t, "RequestStats", err)
	want := []store.RequestCount{
		{Day: statsDay(0), Repo: "fedora-41", Arch: "aarch64", Country: "US", Location: "us-east-1", Step: "location", Count: 7},
		{Day: statsDay(0), Repo: "fedora-41", Arch: "x86_64", Country: "DE", Location: "", Step: "country", Count: 8},
		{Day: statsDay(1), Repo: "epel-9", Arch: "x86_64", Country: "--", Location: "other", Step: "global", Count: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RequestStats by every label (-want +got):\n%s", diff)
	}
	got, err = s.RequestStats(ctx(t), store.StatsQuery{Repo: "fedora-41", By: []string{store.ByCountry}})
	must(t, "RequestStats by country", err)
	if diff := cmp.Diff([]store.RequestCount{{Country: "DE", Count: 8}, {Country: "US", Count: 7}}, got); diff != "" {
		t.Errorf("RequestStats of fedora-41 by country (-want +got):\n%s", diff)
	}
	got, err = s.RequestStats(ctx(t), store.StatsQuery{Since: statsDay(1), Until: statsDay(1)})
	must(t, "RequestStats of one day", err)
	if diff := cmp.Diff([]store.RequestCount{{Count: 1}}, got); diff != "" {
		t.Errorf("RequestStats of one day, summed (-want +got):\n%s", diff)
	}
	got, err = s.RequestStats(ctx(t), store.StatsQuery{Since: statsDay(5)})
	must(t, "RequestStats of no day", err)
	if len(got) != 0 {
		t.Errorf("RequestStats after the last day = %v, want nothing", got)
	}

	gotCM, err := s.CountmeStats(ctx(t), store.StatsQuery{By: []string{store.ByWeek, store.ByBucket}})
	must(t, "CountmeStats", err)
	wantCM := []store.CountmeCount{
		{Week: statsWeek(0), Bucket: 1, Count: 8},
		{Week: statsWeek(0), Bucket: 4, Count: 6},
		{Week: statsWeek(1), Bucket: 4, Count: 1},
	}
	if diff := cmp.Diff(wantCM, gotCM); diff != "" {
		t.Errorf("CountmeStats by week and bucket (-want +got):\n%s", diff)
	}
	gotCM, err = s.CountmeStats(ctx(t), store.StatsQuery{Arch: "aarch64", By: []string{store.ByRepo}})
	must(t, "CountmeStats of aarch64", err)
	if len(gotCM) != 0 {
		t.Errorf("CountmeStats of an arch never counted = %v, want nothing", gotCM)
	}
	if _, err := s.CountmeStats(ctx(t), store.StatsQuery{By: []string{store.ByCountry}}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("CountmeStats by country: error %v, want ErrInvalid", err)
	}
	if _, err := s.RequestStats(ctx(t), store.StatsQuery{By: []string{"requests; DROP TABLE x"}}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("RequestStats by an unknown column: error %v, want ErrInvalid", err)
	}
	if diff := cmp.Diff(before, load(t, s), datasetOpts); diff != "" {
		t.Errorf("statistics changed the dataset (-before +after):\n%s", diff)
	}
}

func testStatsInvalid(t *testing.T, s store.Store) {
	ok := store.RequestCount{Day: statsDay(0), Repo: "r", Arch: "a", Country: "DE", Step: "global", Count: 1}
	must(t, "AddStats", s.AddStats(ctx(t), []store.RequestCount{ok}, nil, statsDay(0), everyStat))
	bad := []struct {
		name string
		reqs []store.RequestCount
		cm   []store.CountmeCount
	}{
		{"zero count", []store.RequestCount{ok, {Day: statsDay(0), Count: 0}}, nil},
		{"day not at midnight", []store.RequestCount{ok, {Day: statsDay(0).Add(time.Hour), Count: 1}}, nil},
		{"bucket 5", []store.RequestCount{ok}, []store.CountmeCount{{Week: statsWeek(0), Bucket: 5, Count: 1}}},
		{"bucket 0", []store.RequestCount{ok}, []store.CountmeCount{{Week: statsWeek(0), Bucket: 0, Count: 1}}},
		{"week on a Tuesday", []store.RequestCount{ok}, []store.CountmeCount{{Week: statsWeek(0).AddDate(0, 0, 1), Bucket: 1, Count: 1}}},
		{"long label", []store.RequestCount{ok, {Day: statsDay(0), Repo: string(make([]byte, 200)), Count: 1}}, nil},
	}
	for _, tt := range bad {
		if err := s.AddStats(ctx(t), tt.reqs, tt.cm, statsDay(0), everyStat); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: error %v, want ErrInvalid", tt.name, err)
		}
	}
	got, err := s.RequestStats(ctx(t), store.StatsQuery{})
	must(t, "RequestStats", err)
	if diff := cmp.Diff([]store.RequestCount{{Count: 1}}, got); diff != "" {
		t.Errorf("rejected statistics were written (-want +got):\n%s", diff)
	}
}

func testStatsRetention(t *testing.T, s store.Store) {
	keep := store.StatsRetention{RequestDays: 10, CountmeWeeks: 2}
	now := statsDay(30)
	reqs := []store.RequestCount{
		{Day: statsDay(19), Repo: "r", Count: 1}, // 11 days before now: dropped
		{Day: statsDay(20), Repo: "r", Count: 2}, // 10 days before: kept
		{Day: statsDay(30), Repo: "r", Count: 4},
	}
	nowWeek := store.CountmeWeek(now)
	cm := []store.CountmeCount{
		{Week: nowWeek.AddDate(0, 0, -21), Repo: "r", Bucket: 1, Count: 1}, // dropped
		{Week: nowWeek.AddDate(0, 0, -14), Repo: "r", Bucket: 1, Count: 2},
		{Week: nowWeek, Repo: "r", Bucket: 1, Count: 4},
	}
	must(t, "AddStats", s.AddStats(ctx(t), reqs, cm, now, keep))
	got, err := s.RequestStats(ctx(t), store.StatsQuery{})
	must(t, "RequestStats", err)
	gotCM, err := s.CountmeStats(ctx(t), store.StatsQuery{})
	must(t, "CountmeStats", err)
	if len(got) != 1 || got[0].Count != 6 || len(gotCM) != 1 || gotCM[0].Count != 6 {
		t.Errorf("after the retention: requests %v, countme %v; want 6 of each", got, gotCM)
	}
	// A later flush with nothing to add still prunes.
	must(t, "AddStats later", s.AddStats(ctx(t), nil, nil, now.AddDate(0, 0, 30), keep))
	got, err = s.RequestStats(ctx(t), store.StatsQuery{})
	must(t, "RequestStats", err)
	if len(got) != 0 {
		t.Errorf("a month later: requests %v, want none", got)
	}
}

// RunStatsReplicas checks that two handles on one store (two replicas)
// flushing the same labels at once sum exactly. open returns both handles;
// the caller closes them.
func RunStatsReplicas(t *testing.T, open func(t *testing.T) (a, b store.Store)) {
	a, b := open(t)
	const flushes, per = 20, 7
	reqs := []store.RequestCount{
		{Day: statsDay(0), Repo: "fedora-41", Arch: "x86_64", Country: "DE", Step: "country", Count: per},
		{Day: statsDay(0), Repo: "fedora-41", Arch: "x86_64", Country: "US", Step: "global", Count: 1},
		{Day: statsDay(1), Repo: "epel-9", Arch: "aarch64", Country: "FR", Step: "continent", Count: 2},
	}
	cm := []store.CountmeCount{
		{Week: statsWeek(0), Repo: "fedora-41", Arch: "x86_64", Bucket: 2, Count: per},
		{Week: statsWeek(0), Repo: "fedora-41", Arch: "x86_64", Bucket: 3, Count: 1},
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*flushes)
	for _, s := range []store.Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range flushes {
				// Each replica lists the rows in a different order.
				r, c := reqs, cm
				if i%2 == 1 {
					r = []store.RequestCount{reqs[2], reqs[1], reqs[0]}
					c = []store.CountmeCount{cm[1], cm[0]}
				}
				errs <- s.AddStats(ctx(t), r, c, statsDay(1), everyStat)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("AddStats: %v", err)
		}
	}
	got, err := a.RequestStats(ctx(t), store.StatsQuery{By: []string{store.ByRepo, store.ByCountry}})
	must(t, "RequestStats", err)
	want := []store.RequestCount{
		{Repo: "epel-9", Country: "FR", Count: 2 * 2 * flushes},
		{Repo: "fedora-41", Country: "DE", Count: 2 * per * flushes},
		{Repo: "fedora-41", Country: "US", Count: 2 * flushes},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request sums of two replicas (-want +got):\n%s", diff)
	}
	gotCM, err := b.CountmeStats(ctx(t), store.StatsQuery{By: []string{store.ByBucket}})
	must(t, "CountmeStats", err)
	wantCM := []store.CountmeCount{{Bucket: 2, Count: 2 * per * flushes}, {Bucket: 3, Count: 2 * flushes}}
	if diff := cmp.Diff(wantCM, gotCM); diff != "" {
		t.Errorf("countme sums of two replicas (-want +got):\n%s", diff)
	}
}

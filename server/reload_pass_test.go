package server

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/metalink"
	"github.com/metalinkd/metalinkd/server/status"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/postgres"
	"github.com/metalinkd/metalinkd/store/postgres/pgtest"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// passStores returns an embedded store and, when the test server answers
// (and always with CI=true), a PostgreSQL one, each holding d.
func passStores(t *testing.T, d *store.Dataset) map[string]store.Store {
	t.Helper()
	ctx := t.Context()
	e, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	stores := map[string]store.Store{"embedded": e}
	pg := pgtest.Connect()
	t.Cleanup(pg.Close)
	if err := pg.Err(); err != nil && os.Getenv("CI") != "true" {
		t.Logf("PostgreSQL left out: %v", err)
	} else {
		// NewDatabase fails the test when CI=true and the server is away.
		p, err := postgres.Open(ctx, pg.NewDatabase(t, true))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		stores["postgres"] = p
	}
	for name, st := range stores {
		if err := st.Restore(ctx, d); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return stores
}

// A snapshot built from the rows as they stream answers as one built from
// the loaded dataset, and so do the status page and the metrics, with
// either store.
func TestStreamingBuildMatchesLoad(t *testing.T) {
	for seed := range uint64(3) {
		d := patchNetwork(rand.New(rand.NewPCG(seed, 5)))
		for name, st := range passStores(t, d) {
			loaded, err := st.Load(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			built := time.Unix(1e9, 0)
			// The pass's own read: PostgreSQL's rows come unordered.
			rl := &Reloader{st: st}
			p, err := readPass(rl.storeExport(t.Context()), true, func() time.Time { return built })
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			comparePatched(t, metalink.NewSnapshot(loaded, built), p.snap, seed, 0)
			if diff := cmp.Diff(status.Build(loaded, built), status.BuildCounted(p.d, p.counter, built)); diff != "" {
				t.Errorf("%s seed %d: status page (-loaded +streamed):\n%s", name, seed, diff)
			}
			want, got := newDatasetStats(loaded, status.Count(loaded)), newDatasetStats(p.d, p.counter)
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(datasetStats{}, mirrorStats{})); diff != "" {
				t.Errorf("%s seed %d: metrics (-loaded +streamed):\n%s", name, seed, diff)
			}
		}
	}
}

// badRowStore hands out, after its first rows, a row naming a mirror the
// dataset does not have, as a damaged store would.
type badRowStore struct {
	*sqlite.Store
	after int
}

func (b *badRowStore) Export(ctx context.Context, fn func(*store.Dataset, store.FreshnessRows) error) error {
	return b.Store.Export(ctx, func(d *store.Dataset, rows store.FreshnessRows) error {
		return fn(d, func(yield func(store.Freshness) error) error {
			n := 0
			return rows(func(f store.Freshness) error {
				if n++; n == b.after {
					f.Mirror = "ghost.example.org"
				}
				return yield(f)
			})
		})
	})
}

// A bad row in the middle of the stream fails the reload with an error
// that names it, and the previous snapshot goes on serving.
func TestReloadRefusesBadRowMidStream(t *testing.T) {
	ctx := t.Context()
	d := patchNetwork(rand.New(rand.NewPCG(1, 5)))
	if len(d.Freshness) < 10 {
		t.Fatalf("the network has %d freshness rows, want at least 10", len(d.Freshness))
	}
	e, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if err := e.Restore(ctx, d); err != nil {
		t.Fatal(err)
	}
	st := &badRowStore{Store: e}
	rl, err := StartReloader(ctx, st, slog.New(slog.DiscardHandler), ReloaderOptions{Every: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	before := rl.Snapshot()
	st.after = len(d.Freshness) / 2
	err = rl.Reload(ctx)
	if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "ghost.example.org") ||
		!strings.Contains(err.Error(), "unknown mirror") {
		t.Fatalf("Reload with a bad row = %v, want an invalid-data error naming the row's mirror", err)
	}
	if rl.Snapshot() != before {
		t.Error("a failed reload replaced the snapshot")
	}
	if ok, _ := rl.Status(); ok {
		t.Error("Status is ok after a failed reload")
	}
	st.after = 0
	if err := rl.Reload(ctx); err != nil {
		t.Fatalf("Reload of good rows: %v", err)
	}
	if rl.Snapshot() == before {
		t.Error("a good reload kept the old snapshot")
	}
}

// The cache is written from the store's rows as they stream and read back
// the same way: a start from it answers as the store's data does.
func TestCacheRoundTripStreams(t *testing.T) {
	ctx := t.Context()
	d := patchNetwork(rand.New(rand.NewPCG(2, 5)))
	st := demoStoreWith(t, d)
	c := newCache(t, t.TempDir()+"/snapshot-cache")
	rl := &Reloader{st: st, opts: ReloaderOptions{Cache: c}, now: time.Now}
	saved := time.Unix(2e9, 0).UTC()
	if err := rl.saveCache(ctx, saved); err != nil {
		t.Fatal(err)
	}
	loaded, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	back, at, err := c.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !at.Equal(saved) || len(back.Freshness) != len(loaded.Freshness) {
		t.Fatalf("cache saved at %v with %d rows, want %v and %d", at, len(back.Freshness), saved, len(loaded.Freshness))
	}
	st.set(errOutage)
	started, err := StartReloader(ctx, st, slog.New(slog.DiscardHandler), ReloaderOptions{Every: time.Hour, Cache: c})
	if err != nil {
		t.Fatalf("start from the cache: %v", err)
	}
	comparePatched(t, metalink.NewSnapshot(loaded, saved), started.Snapshot(), 2, 0)
	if !started.Snapshot().Built.Equal(saved) {
		t.Errorf("snapshot from the cache built %v, want its saved time %v", started.Snapshot().Built, saved)
	}
}

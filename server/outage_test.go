package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/demo"
	"github.com/metalinkd/metalinkd/internal/testpeer"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// flakyStore is an embedded store whose loads and pings fail with the
// error put in down, as the PostgreSQL store's do during an outage.
type flakyStore struct {
	*sqlite.Store
	down atomic.Pointer[error]
}

func (f *flakyStore) fail() error {
	if p := f.down.Load(); p != nil {
		return *p
	}
	return nil
}

func (f *flakyStore) Load(ctx context.Context) (*store.Dataset, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	return f.Store.Load(ctx)
}

func (f *flakyStore) Export(ctx context.Context, fn func(d *store.Dataset, rows store.FreshnessRows) error) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.Store.Export(ctx, fn)
}

func (f *flakyStore) Ping(context.Context) error { return f.fail() }

func (f *flakyStore) set(err error) {
	if err == nil {
		f.down.Store(nil)
		return
	}
	f.down.Store(&err)
}

var errOutage = fmt.Errorf("postgres: %w: connection refused", store.ErrUnavailable)

func demoStore(t *testing.T) *flakyStore {
	t.Helper()
	d, err := demo.Dataset(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return demoStoreWith(t, d)
}

// demoStoreWith is a flakyStore holding d.
func demoStoreWith(t *testing.T, d *store.Dataset) *flakyStore {
	t.Helper()
	e, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Closed before its directory is removed: its pollers would otherwise
	// open the database again while the directory goes.
	t.Cleanup(func() { e.Close() })
	if err := e.Restore(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	return &flakyStore{Store: e}
}

func newCache(t *testing.T, path string) *store.CacheFile {
	t.Helper()
	c, err := store.NewCacheFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func readyzStatus(t *testing.T, url string) string {
	t.Helper()
	_, body := get(t, url+"/readyz", nil)
	return body
}

// A server whose store is unavailable at start answers from the snapshot
// cache another run wrote, says so in /readyz, and switches to the store's
// data when it answers.
func TestStartFromTheSnapshotCache(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cachePath := filepath.Join(t.TempDir(), "snapshot-cache")
	log := slog.New(slog.DiscardHandler)

	// A first run loads from the store and writes the cache.
	st := demoStore(t)
	first, err := StartReloader(ctx, st, log, ReloaderOptions{Every: time.Hour, Cache: newCache(t, cachePath)})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { first.Run(runCtx); close(done) }()
	testpeer.MustEventually(t, 10*time.Second, "the cache to be written", func() bool {
		_, _, err := newCache(t, cachePath).Load()
		return err == nil
	})
	stop()
	<-done

	// Without the cache, an unavailable store stops the start.
	st.set(errOutage)
	if _, err := StartReloader(ctx, st, log, ReloaderOptions{Every: time.Hour}); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("start with the store down and no cache = %v, want ErrUnavailable", err)
	}
	// A store that answers with something other than an outage is not
	// papered over by the cache.
	st.set(errors.New("schema version 9, this binary knows 3"))
	if _, err := StartReloader(ctx, st, log, ReloaderOptions{Every: time.Hour, Cache: newCache(t, cachePath)}); err == nil {
		t.Fatal("start on a store that refuses its data succeeded from the cache")
	}

	st.set(errOutage)
	rl, err := StartReloader(ctx, st, log, ReloaderOptions{Every: time.Hour, Cache: newCache(t, cachePath), Health: st, PingEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("start from the cache: %v", err)
	}
	runDone := make(chan struct{})
	go func() { rl.Run(ctx); close(runDone) }()
	// Once the store is back the reloader writes the cache into the
	// test's directory: it must have stopped before that is removed.
	t.Cleanup(func() { cancel(); <-runDone })
	ts := httptest.NewServer(New(rl, fakeGeo{}, log, Options{}).Handler())
	defer ts.Close()
	if resp, body := get(t, ts.URL+"/mirrorlist?repo=fedora-41&arch=x86_64&country=global", nil); resp.StatusCode != 200 || !strings.Contains(body, "http") {
		t.Errorf("mirrorlist from the cache: %d\n%s", resp.StatusCode, body)
	}
	if body := readyzStatus(t, ts.URL); !strings.Contains(body, `"degraded"`) || !strings.Contains(body, "snapshot cache") {
		t.Errorf("readyz while serving the cache: %s", body)
	}

	st.set(nil)
	testpeer.MustEventually(t, 10*time.Second, "readyz to say ok once the store answers", func() bool {
		return strings.Contains(readyzStatus(t, ts.URL), `"ok"`)
	})
}

// A store that fails its health check makes readyz degraded and the admin
// API answer 503 at once; both recover with the store.
func TestHealthCheckDegradesAndGuards(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := demoStore(t)
	log := slog.New(slog.DiscardHandler)
	rl, err := StartReloader(ctx, st, log, ReloaderOptions{Every: time.Hour, Health: st, PingEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go rl.Run(ctx)
	reached := make(chan struct{}, 10)
	admin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached <- struct{}{} })
	ts := httptest.NewServer(New(rl, fakeGeo{}, log, Options{Admin: rl.Guard(admin)}).Handler())
	defer ts.Close()

	st.set(errOutage)
	testpeer.MustEventually(t, 10*time.Second, "readyz to say degraded", func() bool {
		return strings.Contains(readyzStatus(t, ts.URL), "health check")
	})
	if resp, body := get(t, ts.URL+"/api/v1/mirrors", nil); resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(body, "refused") {
		t.Errorf("admin request while the store is down: %d %s, want 503 without the error's text", resp.StatusCode, body)
	}
	if len(reached) != 0 {
		t.Error("the admin handler was reached while the store was down")
	}

	st.set(nil)
	testpeer.MustEventually(t, 10*time.Second, "readyz to say ok", func() bool {
		return strings.Contains(readyzStatus(t, ts.URL), `"ok"`)
	})
	if resp, _ := get(t, ts.URL+"/api/v1/mirrors", nil); resp.StatusCode != 200 || len(reached) != 1 {
		t.Errorf("admin request after recovery: %d, reached the handler %d times", resp.StatusCode, len(reached))
	}
}

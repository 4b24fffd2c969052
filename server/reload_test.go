package server

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/demo"
	"github.com/metalinkd/metalinkd/internal/testpeer"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

func TestReloadPicksUpChangesAndSurvivesBrokenStore(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := demo.Dataset(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := st.Restore(ctx, d); err != nil {
		t.Fatal(err)
	}
	rl, err := NewReloader(ctx, st, slog.New(slog.DiscardHandler), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	go rl.Run(ctx)
	ts := httptest.NewServer(New(rl, fakeGeo{}, slog.New(slog.DiscardHandler), Options{}).Handler())
	defer ts.Close()

	// Another process (here: another handle on the same directory) disables a mirror.
	other, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	m, err := other.UpdateMirror(ctx, d.Mirrors[0].Name, func(m *store.Mirror) error { m.Enabled = false; return nil })
	if err != nil {
		t.Fatal(err)
	}
	host := strings.Split(strings.SplitN(m.URLs[0], "//", 2)[1], "/")[0]
	testpeer.MustEventually(t, 10*time.Second, "the disabled mirror to disappear", func() bool {
		_, body := get(t, ts.URL+"/mirrorlist?repo=fedora-41&arch=x86_64&country=global", nil)
		return !strings.Contains(body, host)
	})

	// A damaged store: the last snapshot goes on serving and readyz says degraded.
	// (here: the server's handle is closed under it).
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	testpeer.MustEventually(t, 10*time.Second, "readyz to report degraded", func() bool {
		_, body := get(t, ts.URL+"/readyz", nil)
		return strings.Contains(body, "degraded")
	})
	resp, body := get(t, ts.URL+"/metalink?repo=fedora-41&arch=x86_64&location=us-east-1", nil)
	if resp.StatusCode != 200 || !strings.Contains(firstURL(body), "us-east-1") {
		t.Errorf("with the store broken: %d, first URL %q", resp.StatusCode, firstURL(body))
	}
}

package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/demo"
	"github.com/metalinkd/metalinkd/internal/testpeer"
	"github.com/metalinkd/metalinkd/metalink"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// TestStatusPageFollowsReloads checks that /mirrors and /mirrors/ show
// the dataset of the snapshot being served, including a mirror disabled
// since the last page was viewed.
func TestStatusPageFollowsReloads(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err := demo.Dataset(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Restore(ctx, d); err != nil {
		t.Fatal(err)
	}
	rl, err := NewReloader(ctx, st, slog.New(slog.DiscardHandler), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(New(rl, fakeGeo{}, slog.New(slog.DiscardHandler), Options{}).Handler())
	defer ts.Close()

	var name string
	for _, m := range d.Mirrors {
		if m.Enabled && !m.Private && !m.Regional() {
			name = m.Name
			break
		}
	}
	row := regexp.MustCompile(`<tr><td>` + regexp.QuoteMeta(name) + `</td><td>[^<]*</td><td class="state-(\w+)">`)
	state := func(path string) string {
		t.Helper()
		resp, body := get(t, ts.URL+path, nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		m := row.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("GET %s does not list %s", path, name)
		}
		return m[1]
	}
	if got := state("/mirrors"); got != "enabled" {
		t.Errorf("%s is %s, want enabled", name, got)
	}
	if _, err := st.UpdateMirror(ctx, name, func(m *store.Mirror) error { m.Enabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := rl.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got := state("/mirrors/"); got != "disabled" {
		t.Errorf("after disabling, %s is %s, want disabled", name, got)
	}

	// A patch loads no dataset: the page catches up by a load of its own.
	rl.opts.StatusEvery = time.Millisecond
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go rl.Run(runCtx)
	if _, err := st.UpdateMirror(ctx, name, func(m *store.Mirror) error { m.Enabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	testpeer.MustEventually(t, 30*time.Second, "the page to show the mirror enabled", func() bool { return state("/mirrors") == "enabled" })
}

// statusHandler is the full handler over benchDataset(n) with its page.
func statusHandler(n int) http.Handler {
	d := benchDataset(n)
	snap := metalink.NewSnapshot(d, time.Now())
	rl := NewStaticReloader(snap)
	rl.status.Update(d, snap)
	return New(rl, fakeGeo{}, slog.New(slog.DiscardHandler), Options{}).Handler()
}

// BenchmarkStatusPage measures a view of the status page once rendered,
// to compare with BenchmarkMetalink on the same network.
func BenchmarkStatusPage(b *testing.B) {
	for _, n := range []int{50, 300} {
		b.Run(fmt.Sprintf("mirrors=%d", n), func(b *testing.B) {
			h := statusHandler(n)
			req := httptest.NewRequest(http.MethodGet, "/mirrors", nil)
			req.RemoteAddr = "192.0.2.1:40000"
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "mirror000.example.net") {
				b.Fatalf("status %d: %.200s", w.Code, w.Body)
			}
			b.SetBytes(int64(w.Body.Len()))
			b.ReportAllocs()
			b.ResetTimer()
			dw := &discardWriter{h: http.Header{}}
			for b.Loop() {
				clear(dw.h)
				h.ServeHTTP(dw, req)
			}
		})
	}
}

// BenchmarkStatusPageBuild measures what a snapshot's page costs once:
// its data at reload and its HTML on the first view.
func BenchmarkStatusPageBuild(b *testing.B) {
	for _, n := range []int{50, 300} {
		b.Run(fmt.Sprintf("mirrors=%d", n), func(b *testing.B) {
			d := benchDataset(n)
			snap := metalink.NewSnapshot(d, time.Now())
			req := httptest.NewRequest(http.MethodGet, "/mirrors", nil)
			b.ReportAllocs()
			for b.Loop() {
				rl := NewStaticReloader(snap)
				rl.status.Update(d, snap)
				rl.status.ServeHTTP(&discardWriter{h: http.Header{}}, req)
			}
		})
	}
}

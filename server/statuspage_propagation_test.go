package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/demo"
	"github.com/metalinkd/metalinkd/server/status"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// TestStatusPageChartsPropagation checks that a reload reads the latest
// compose's propagation points from the store: before any crawl the page
// says none ran, after one it charts the crawl's counts.
func TestStatusPageChartsPropagation(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
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
	page := func() string {
		t.Helper()
		resp, body := get(t, ts.URL+"/mirrors", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /mirrors: %d", resp.StatusCode)
		}
		return body
	}
	dir, recorded := status.LatestCompose(d)
	if dir == "" {
		t.Fatal("the demo dataset has no directory")
	}
	if body := page(); !strings.Contains(body, `id="no-crawl"`) || strings.Contains(body, "timeline-title") {
		t.Errorf("before any crawl the page does not say so:\n%s", body)
	}
	var sha string
	for _, x := range d.Directories {
		if x.Path == dir {
			sha = x.Current.SHA256
		}
	}
	points := []store.PropagationPoint{{Directory: dir, At: recorded.Add(time.Minute), SHA256: sha, Current: 3, Older: 1, Failed: 2}}
	if err := st.RecordPropagation(ctx, points, 0); err != nil {
		t.Fatal(err)
	}
	if err := rl.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	body := page()
	for _, want := range []string{"timeline-title", dir, "3/6 current", "One crawl checked the public mirrors since then"} {
		if !strings.Contains(body, want) {
			t.Errorf("after a crawl the page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="no-crawl"`) {
		t.Error("after a crawl the page still says none ran")
	}
}

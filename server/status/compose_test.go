package status

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/metalink"
	"github.com/metalinkd/metalinkd/store"
)

// propagation is three crawls of updDir, the latest compose of dataset
// (recorded an hour before built), after one of an older repomd.xml and
// one of another directory, which the chart leaves out.
func propagation() []store.PropagationPoint {
	rec := built.Add(-time.Hour)
	return []store.PropagationPoint{
		{Directory: updDir, At: rec.Add(-time.Hour), SHA256: shaAlt, Current: 4},
		{Directory: relDir, At: rec.Add(10 * time.Minute), SHA256: shaNow, Current: 1, Older: 2},
		{Directory: updDir, At: rec.Add(10 * time.Minute), SHA256: shaUpd, Current: 1, Older: 2, Other: 1, Failed: 1},
		{Directory: updDir, At: rec.Add(30 * time.Minute), SHA256: shaUpd, Current: 3, Older: 1, Failed: 1},
		{Directory: updDir, At: rec.Add(50 * time.Minute), SHA256: shaUpd, Current: 5},
	}
}

func TestLatestCompose(t *testing.T) {
	dir, rec := LatestCompose(dataset())
	if dir != updDir || !rec.Equal(built.Add(-time.Hour)) {
		t.Errorf("latest compose %s recorded %v, want %s at %v", dir, rec, updDir, built.Add(-time.Hour))
	}
	if dir, _ := LatestCompose(&store.Dataset{}); dir != "" {
		t.Errorf("latest compose of no directory: %q", dir)
	}
}

// TestComposeTimeline checks the bars: one per crawl of the current
// repomd.xml, oldest first, each stacking current, older, other and
// failed, and only the latest maxCrawlBars.
func TestComposeTimeline(t *testing.T) {
	c := composeOf(dataset(), propagation())
	if c.Crawls != 3 || len(c.Timeline.Series) != 3 {
		t.Fatalf("%d crawls, %d bars; want 3 and 3", c.Crawls, len(c.Timeline.Series))
	}
	v := c.Timeline.layout("t")
	var got []string
	for _, b := range v.Bars {
		got = append(got, b.Label+" "+b.TotalLabel)
	}
	want := []string{"+10m (11:10) 1/5 current", "+30m (11:30) 3/5 current", "+50m (11:50) 5/5 current"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bars (-want +got):\n%s", diff)
	}
	if titles := v.Bars[0].Rects; len(titles) != 4 || titles[3].Title != "+10m (11:10): 1 crawl failed" {
		t.Errorf("first bar's segments %+v", titles)
	}
	var many []store.PropagationPoint
	for i := range 20 {
		many = append(many, store.PropagationPoint{Directory: updDir, At: built.Add(time.Duration(i) * time.Minute), SHA256: shaUpd, Current: i})
	}
	c = composeOf(dataset(), many)
	if c.Crawls != 20 || len(c.Timeline.Series) != maxCrawlBars || c.Timeline.Series[0].Counts.Fresh != 20-maxCrawlBars {
		t.Errorf("20 crawls: %d counted, %d bars from %+v", c.Crawls, len(c.Timeline.Series), c.Timeline.Series[0])
	}
}

// TestPagePropagationGolden pins the page with the latest compose's
// chart; without points the page says no crawl ran (page.golden).
func TestPagePropagationGolden(t *testing.T) {
	d := dataset()
	var b Board
	b.SetPropagation(propagation())
	b.Update(d, metalink.NewSnapshot(d, built))
	w := get(t, &b, "/mirrors")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	body := w.Body.String()
	for _, s := range []string{`aria-labelledby="timeline-title"`, "3 crawls checked the public mirrors since then", "5/5 current"} {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if strings.Contains(body, `id="no-crawl"`) {
		t.Error("page with crawls says no crawl ran")
	}
	golden := filepath.Join("testdata", "page_propagation.golden")
	if *update {
		if err := os.WriteFile(golden, w.Body.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), body); diff != "" {
		t.Errorf("page differs from %s (-want +got):\n%s", golden, diff)
	}
}

package status

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

// usage is a few days of requests and weeks of countme hits before built.
func usage() *Usage {
	day := store.UTCDay(built)
	week := store.CountmeWeek(built)
	reqs := []store.RequestCount{
		{Day: day, Count: 1200},
		{Day: day.AddDate(0, 0, -1), Count: 800},
		{Day: day.AddDate(0, 0, -1), Count: 400},
		{Day: day.AddDate(0, 0, -9), Count: 300},
		{Day: day.AddDate(0, 0, -40), Count: 999999}, // before the chart
	}
	cm := []store.CountmeCount{
		{Week: week, Bucket: 1, Count: 10},
		{Week: week, Bucket: 4, Count: 90},
		{Week: week.AddDate(0, 0, -7), Bucket: 2, Count: 20},
		{Week: week.AddDate(0, 0, -7), Bucket: 3, Count: 30},
	}
	return UsageFrom(reqs, cm, built)
}

func TestUsageFrom(t *testing.T) {
	u := usage()
	if len(u.Days) != UsageDays || len(u.Weeks) != UsageWeeks {
		t.Fatalf("%d days and %d weeks, want %d and %d", len(u.Days), len(u.Weeks), UsageDays, UsageWeeks)
	}
	last, prev := u.Days[UsageDays-1], u.Days[UsageDays-2]
	if !last.Day.Equal(store.UTCDay(built)) || last.Requests != 1200 || prev.Requests != 1200 || u.Days[UsageDays-10].Requests != 300 {
		t.Errorf("days end with %v; want 1200 today, 1200 yesterday, 300 nine days ago", u.Days[UsageDays-10:])
	}
	var total int64
	for _, d := range u.Days {
		total += d.Requests
	}
	if total != 2700 {
		t.Errorf("the chart's days sum to %d, want 2700 (older days left out)", total)
	}
	w := u.Weeks[UsageWeeks-1]
	if w.Week.Weekday() != time.Monday || w.Buckets != [4]int64{10, 0, 0, 90} || u.Weeks[UsageWeeks-2].Buckets != [4]int64{0, 20, 30, 0} {
		t.Errorf("last weeks %v", u.Weeks[UsageWeeks-2:])
	}
}

func TestPageUsageGolden(t *testing.T) {
	b := board(t)
	if body := get(t, b, "/mirrors").Body.String(); strings.Contains(body, `id="usage"`) {
		t.Error("a page without statistics has a usage section")
	}
	b.SetUsage(usage())
	w := get(t, b, "/mirrors")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	body := w.Body.String()
	for _, want := range []string{`<section id="usage">`, "Requests per UTC day, last 30 days", "2026-", "countme hits per week",
		`class="bucket4"`, "4: older"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page with statistics lacks %q", want)
		}
	}
	golden := filepath.Join("testdata", "page_usage.golden")
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
	// A new snapshot keeps the statistics shown.
	d := dataset()
	b.Update(d, b.snapshot())
	if !strings.Contains(get(t, b, "/mirrors").Body.String(), `<section id="usage">`) {
		t.Error("the usage section went away with a new snapshot")
	}
}

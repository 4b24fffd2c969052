package admin

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/internal/adminapi"
	"github.com/metalinkd/metalinkd/store"
)

func TestStatsView(t *testing.T) { eachStore(t, testStatsView) }

func testStatsView(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	day := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	week := store.CountmeWeek(day)
	err := f.st.AddStats(t.Context(), []store.RequestCount{
		{Day: day, Repo: "fedora-41", Arch: "x86_64", Country: "DE", Step: "country", Count: 5},
		{Day: day.AddDate(0, 0, 1), Repo: "fedora-41", Arch: "x86_64", Country: "US", Location: "us-east-1", Step: "location", Count: 2},
	}, []store.CountmeCount{{Week: week, Repo: "fedora-41", Arch: "x86_64", Bucket: 3, Count: 4}}, day, store.DefaultStatsRetention)
	if err != nil {
		t.Fatal(err)
	}
	var got adminapi.StatsView
	f.admin(http.MethodGet, "/stats", nil, http.StatusOK, &got)
	want := adminapi.StatsView{Kind: "requests", By: []string{"day"}, Rows: []adminapi.StatsRow{{Day: "2026-03-03", Count: 5}, {Day: "2026-03-04", Count: 2}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /stats (-want +got):\n%s", diff)
	}
	got = adminapi.StatsView{}
	f.admin(http.MethodGet, "/stats?by=country,location&since=2026-03-04&repo=fedora-41", nil, http.StatusOK, &got)
	want = adminapi.StatsView{Kind: "requests", By: []string{"country", "location"}, Rows: []adminapi.StatsRow{{Country: "US", Location: "us-east-1", Count: 2}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /stats by country and location (-want +got):\n%s", diff)
	}
	got = adminapi.StatsView{}
	f.admin(http.MethodGet, "/stats?kind=countme", nil, http.StatusOK, &got)
	want = adminapi.StatsView{Kind: "countme", By: []string{"week", "bucket"}, Rows: []adminapi.StatsRow{{Week: "2026-03-02", Bucket: 3, Count: 4}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /stats?kind=countme (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"?kind=x", "?by=country&kind=countme", "?by=requests", "?since=yesterday", "?until=2026-13-01", "?by=day,day"} {
		a := f.admin(http.MethodGet, "/stats"+bad, nil, http.StatusBadRequest, nil)
		if len(a.fields()) != 1 {
			t.Errorf("GET /stats%s: fields %v", bad, a.fields())
		}
	}
}

package admin

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/internal/adminapi"
	"github.com/metalinkd/metalinkd/store"
)

func TestFreshnessView(t *testing.T) { eachStore(t, testFreshnessView) }

func testFreshnessView(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	// m1 is fresh (the fixture's report); m2 has not reported: unknown.
	var got adminapi.FreshnessView
	f.admin(http.MethodGet, "/freshness", nil, http.StatusOK, &got)
	want := adminapi.FreshnessView{
		Mirrors: []adminapi.MirrorFreshness{
			{Name: "m1", Enabled: true, Fresh: 1, StaleDirectories: []adminapi.StaleDirectory{}},
			{Name: "m2", Enabled: true, Unknown: 1, StaleDirectories: []adminapi.StaleDirectory{}},
		},
		Categories: []adminapi.CategoryFreshness{{Category: "releases/41", Directories: 1, Fresh: 1, Unknown: 1}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /freshness (-want +got):\n%s", diff)
	}

	// m2 reports the alternate: stale, and still listed.
	f.admin(http.MethodPost, "/mirrors/m2/report", map[string]string{"directory": dir, "sha256": shaOld}, http.StatusOK, nil)
	stale := adminapi.MirrorFreshness{Name: "m2", Enabled: true, Stale: 1,
		StaleDirectories: []adminapi.StaleDirectory{{Directory: dir, SHA256: shaOld, Reported: t0.Add(time.Hour), Accepted: true}}}
	wantStale := adminapi.FreshnessView{
		Mirrors:    []adminapi.MirrorFreshness{stale},
		Categories: []adminapi.CategoryFreshness{{Category: "releases/41", Directories: 1, Fresh: 1, Stale: 1}},
	}
	f.admin(http.MethodGet, "/freshness?stale=true", nil, http.StatusOK, &got)
	if diff := cmp.Diff(wantStale, got); diff != "" {
		t.Errorf("GET /freshness?stale=true (-want +got):\n%s", diff)
	}
	// A disabled mirror is listed but not counted in its categories.
	f.admin(http.MethodPost, "/mirrors/m2/disable", nil, http.StatusOK, nil)
	f.admin(http.MethodGet, "/freshness", nil, http.StatusOK, &got)
	if len(got.Mirrors) != 2 || got.Mirrors[1].Enabled || got.Mirrors[1].Stale != 1 {
		t.Errorf("disabled m2: %+v", got.Mirrors)
	}
	if want := []adminapi.CategoryFreshness{{Category: "releases/41", Directories: 1, Fresh: 1}}; !cmp.Equal(want, got.Categories) {
		t.Errorf("categories with m2 disabled: %+v, want %+v", got.Categories, want)
	}

	// Once the alternates expire the store forgets m2's report: unknown.
	f.admin(http.MethodPost, "/directories/expire", map[string]string{"directory": dir}, http.StatusOK, nil)
	f.admin(http.MethodGet, "/freshness?stale=true", nil, http.StatusOK, &got)
	if len(got.Mirrors) != 0 {
		t.Errorf("stale mirrors after the alternates expired: %+v", got.Mirrors)
	}

	if a := f.do(http.MethodGet, "/freshness?stale=yes", "admin", nil); a.status != http.StatusBadRequest {
		t.Errorf("stale=yes: %d %s, want 400", a.status, a.body)
	}
	if a := f.do(http.MethodGet, "/freshness", "report:m2", nil); a.status != http.StatusForbidden {
		t.Errorf("with a report token: %d, want 403", a.status)
	}
}

// TestFreshnessViewBoundsTheStaleList checks that a mirror stale almost
// everywhere lists only adminapi.MaxStaleListed directories and says how
// many more there are.
func TestFreshnessViewBoundsTheStaleList(t *testing.T) { eachStore(t, testFreshnessViewBounds) }

func testFreshnessViewBounds(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	d := fixtureData()
	const n = adminapi.MaxStaleListed + 7
	for i := range n {
		p := fmt.Sprintf("updates/41/Everything/x86_64/%03d", i)
		d.Directories = append(d.Directories, store.Directory{Path: p, Current: d.Directories[0].Current, Alternates: d.Directories[0].Alternates})
		d.Freshness = append(d.Freshness, store.Freshness{Mirror: "m2", Directory: p, SHA256: shaOld, Reported: t0})
	}
	if err := f.st.Restore(store.WithActor(context.Background(), "test"), d); err != nil {
		t.Fatal(err)
	}
	var got adminapi.FreshnessView
	f.admin(http.MethodGet, "/freshness?stale=true", nil, http.StatusOK, &got)
	if len(got.Mirrors) != 1 {
		t.Fatalf("stale mirrors: %+v", got.Mirrors)
	}
	m := got.Mirrors[0]
	if m.Name != "m2" || m.Stale != n || m.Unknown != 1 || len(m.StaleDirectories) != adminapi.MaxStaleListed || m.MoreStale != 7 {
		t.Errorf("m2: stale %d, unknown %d, %d listed, %d more; want %d, 1, %d, 7",
			m.Stale, m.Unknown, len(m.StaleDirectories), m.MoreStale, n, adminapi.MaxStaleListed)
	}
	if first := m.StaleDirectories[0].Directory; first != "updates/41/Everything/x86_64/000" {
		t.Errorf("first stale directory %q, want the first by path", first)
	}
	want := []adminapi.CategoryFreshness{
		{Category: "releases/41", Directories: 1, Fresh: 1, Unknown: 1},
		{Category: "updates/41", Directories: n, Stale: 1, Unknown: 1},
	}
	if diff := cmp.Diff(want, got.Categories); diff != "" {
		t.Errorf("categories (-want +got):\n%s", diff)
	}
}

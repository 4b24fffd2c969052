package admin

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/metalinkd/metalinkd/store"
)

func TestMirrorLifecycle(t *testing.T) { eachStore(t, testMirrorLifecycle) }

func testMirrorLifecycle(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	m3 := map[string]any{
		"name": "m3", "country": "fr", "bandwidth": 500,
		"urls":      []string{"https://m3.example/pub/", "rsync://m3.example/pub"},
		"netblocks": []string{"198.51.100.0/24", "2001:db8::/32"}, "asn": 64501,
		"locations": []string{"eu-west-1"}, "private": true, "always_up_to_date": true,
	}
	var created store.Mirror
	a := f.admin(http.MethodPost, "/mirrors", m3, http.StatusCreated, &created)
	if got := a.header.Get("Location"); got != "/api/v1/mirrors/m3" {
		t.Errorf("Location = %q", got)
	}
	want := store.Mirror{Name: "m3", Country: "FR", Bandwidth: 500, Enabled: true, Private: true, AlwaysUpToDate: true,
		URLs: []string{"https://m3.example/pub", "rsync://m3.example/pub"}, Netblocks: []string{"198.51.100.0/24", "2001:db8::/32"},
		ASN: 64501, Locations: []string{"eu-west-1"}}
	if diff := cmp.Diff(want, created); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, f.mirror("m3")); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
	if a := f.do(http.MethodPost, "/mirrors", "admin", m3); a.status != http.StatusConflict || a.error().Error == "" {
		t.Errorf("second create = %d %s, want 409 with a message", a.status, a.body)
	}

	var list struct{ Mirrors []store.Mirror }
	f.admin(http.MethodGet, "/mirrors", nil, http.StatusOK, &list)
	var names []string
	for _, m := range list.Mirrors {
		names = append(names, m.Name)
	}
	if diff := cmp.Diff([]string{"m1", "m2", "m3"}, names); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}

	var one mirrorView
	f.admin(http.MethodGet, "/mirrors/m1", nil, http.StatusOK, &one)
	if one.Name != "m1" || len(one.Freshness) != 1 || one.Freshness[0].SHA256 != shaNow {
		t.Errorf("GET m1 = %+v, want m1 with its freshness", one)
	}

	// PUT replaces: fields left out take their defaults.
	var put store.Mirror
	f.admin(http.MethodPut, "/mirrors/m3", map[string]any{"country": "BE", "bandwidth": 50, "urls": []string{"http://m3.example/x"}}, http.StatusOK, &put)
	want = store.Mirror{Name: "m3", Country: "BE", Bandwidth: 50, Enabled: true, URLs: []string{"http://m3.example/x"}}
	if diff := cmp.Diff(want, f.mirror("m3"), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("after PUT (-want +got):\n%s", diff)
	}
	// PATCH changes only the fields sent.
	f.admin(http.MethodPatch, "/mirrors/m3", map[string]any{"bandwidth": 75, "netblocks": []string{"203.0.113.0/24"}}, http.StatusOK, nil)
	want.Bandwidth, want.Netblocks = 75, []string{"203.0.113.0/24"}
	if diff := cmp.Diff(want, f.mirror("m3"), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("after PATCH (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		action string
		want   bool
	}{{"disable", false}, {"disable", false}, {"enable", true}} {
		var m store.Mirror
		f.admin(http.MethodPost, "/mirrors/m3/"+tc.action, nil, http.StatusOK, &m)
		if m.Enabled != tc.want || f.mirror("m3").Enabled != tc.want {
			t.Errorf("after %s: enabled %v, stored %v; want %v", tc.action, m.Enabled, f.mirror("m3").Enabled, tc.want)
		}
	}

	f.admin(http.MethodDelete, "/mirrors/m3", nil, http.StatusNoContent, nil)
	for _, req := range []struct{ method, path string }{
		{http.MethodGet, "/mirrors/m3"}, {http.MethodDelete, "/mirrors/m3"}, {http.MethodPut, "/mirrors/m3"},
		{http.MethodPatch, "/mirrors/m3"}, {http.MethodPost, "/mirrors/m3/enable"},
	} {
		if a := f.do(req.method, req.path, "admin", map[string]any{"bandwidth": 1}); a.status != http.StatusNotFound || a.error().Error != `mirror "m3" not found` {
			t.Errorf("%s %s after delete = %d %s, want 404", req.method, req.path, a.status, a.body)
		}
	}
}

// A mirror fetched with GET, freshness and all, can be sent back with PUT.
func TestMirrorRoundTrip(t *testing.T) { eachStore(t, testMirrorRoundTrip) }

func testMirrorRoundTrip(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	before := f.mirror("m1")
	got := f.admin(http.MethodGet, "/mirrors/m1", nil, http.StatusOK, nil)
	f.admin(http.MethodPut, "/mirrors/m1", string(got.body), http.StatusOK, nil)
	if diff := cmp.Diff(before, f.mirror("m1")); diff != "" {
		t.Errorf("after GET and PUT (-before +after):\n%s", diff)
	}
	var loc locationView
	f.admin(http.MethodGet, "/locations/us-east-1", nil, http.StatusOK, &loc)
	loc.Description = "N. Virginia"
	f.admin(http.MethodPut, "/locations/us-east-1", loc, http.StatusOK, nil)
}

func TestMirrorDeleteDropsFreshness(t *testing.T) { eachStore(t, testMirrorDeleteDropsFreshness) }

func testMirrorDeleteDropsFreshness(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	f.admin(http.MethodDelete, "/mirrors/m1", nil, http.StatusNoContent, nil)
	var d directoryView
	f.admin(http.MethodGet, "/directories/"+dir, nil, http.StatusOK, &d)
	if len(d.Mirrors) != 0 {
		t.Errorf("freshness of a deleted mirror is still listed: %+v", d.Mirrors)
	}
	// Its report token is revoked: a new mirror of the same name does not revive it.
	f.admin(http.MethodPost, "/mirrors", map[string]any{"name": "m1", "country": "DE", "bandwidth": 10,
		"urls": []string{"https://m1.example/pub"}}, http.StatusCreated, nil)
	a := f.do(http.MethodPost, "/mirrors/m1/report", "Bearer "+f.secrets["report:m1"], map[string]string{"directory": dir, "sha256": strings.Repeat("0", 64)})
	if a.status != http.StatusUnauthorized {
		t.Errorf("report with the deleted mirror's token = %d %s, want 401", a.status, a.body)
	}
}

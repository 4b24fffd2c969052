package admin

import (
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// endpoint is one row of the scope matrix: a request, the route pattern it
// exercises, the status an admin gets, the mirror whose report token may
// also make it ("" for admin-only endpoints), and the status of the other
// report tokens (0: 403).
type endpoint struct {
	method, path, pattern string
	body                  any
	admin                 int
	mirror                string
	other                 int
}

// endpoints lists a request for every route (the test fails when a route
// is missing here) and path tricks that must not widen a report token.
// {m2token} in a path is replaced by the id of the fixture's report:m2 token.
var endpoints = []endpoint{
	{"GET", "/mirrors", "/mirrors", nil, 200, "", 0},
	{"POST", "/mirrors", "/mirrors", goodMirror(nil), 201, "", 0},
	{"GET", "/mirrors/m1", "/mirrors/{name}", nil, 200, "", 0},
	{"PUT", "/mirrors/m2", "/mirrors/{name}", goodMirror(map[string]any{"name": "m2"}), 200, "", 0},
	{"PATCH", "/mirrors/m1", "/mirrors/{name}", map[string]any{"bandwidth": 5}, 200, "", 0},
	{"DELETE", "/mirrors/m1", "/mirrors/{name}", nil, 204, "", 0},
	{"POST", "/mirrors/m1/enable", "/mirrors/{name}/enable", nil, 200, "", 0},
	{"POST", "/mirrors/m1/disable", "/mirrors/{name}/disable", nil, 200, "", 0},
	{"POST", "/mirrors/m1/report", "/mirrors/{name}/report", map[string]string{"directory": dir, "sha256": shaNow}, 200, "m1", 0},
	{"POST", "/mirrors/m2/report", "/mirrors/{name}/report", map[string]string{"directory": dir, "sha256": shaOld}, 200, "m2", 0},
	{"POST", "/mirrors/m1/forget", "/mirrors/{name}/forget", map[string]string{"prefix": "releases/"}, 200, "m1", 0},
	{"POST", "/mirrors/m2/forget", "/mirrors/{name}/forget", map[string]string{"prefix": "releases/"}, 200, "m2", 0},
	{"GET", "/locations", "/locations", nil, 200, "", 0},
	{"POST", "/locations", "/locations", map[string]string{"name": "ap-south-1"}, 201, "", 0},
	{"GET", "/locations/us-east-1", "/locations/{name}", nil, 200, "", 0},
	{"PUT", "/locations/eu-west-1", "/locations/{name}", map[string]string{"description": "Ireland"}, 200, "", 0},
	{"DELETE", "/locations/eu-west-1", "/locations/{name}", nil, 204, "", 0},
	{"GET", "/repositories", "/repositories", nil, 200, "", 0},
	{"POST", "/repositories", "/repositories", map[string]string{"prefix": "epel-9", "arch": "x86_64", "directory": "epel/9"}, 201, "", 0},
	{"GET", "/repositories/fedora-41/x86_64", "/repositories/{prefix}/{arch}", nil, 200, "", 0},
	{"PUT", "/repositories/fedora-41/x86_64", "/repositories/{prefix}/{arch}", map[string]any{"directory": dir, "disabled": true}, 200, "", 0},
	{"DELETE", "/repositories/fedora-41/x86_64", "/repositories/{prefix}/{arch}", nil, 204, "", 0},
	{"POST", "/repositories/fedora-41/x86_64/enable", "/repositories/{prefix}/{arch}/enable", nil, 200, "", 0},
	{"POST", "/repositories/fedora-41/x86_64/disable", "/repositories/{prefix}/{arch}/disable", nil, 200, "", 0},
	{"GET", "/redirects", "/redirects", nil, 200, "", 0},
	{"POST", "/redirects", "/redirects", map[string]string{"from": "fedora-45", "to": "rawhide"}, 201, "", 0},
	{"DELETE", "/redirects/fedora-rawhide", "/redirects/{from}", nil, 204, "", 0},
	{"GET", "/directories", "/directories", nil, 200, "", 0},
	{"POST", "/directories/expire", "/directories/expire", map[string]string{"directory": dir}, 200, "", 0},
	{"GET", "/directories/" + dir, "/directories/*", nil, 200, "", 0},
	{"GET", "/freshness", "/freshness", nil, 200, "", 0},
	{"GET", "/stats?kind=countme", "/stats", nil, 200, "", 0},
	{"GET", "/health", "/health", nil, 200, "", 0},
	{"GET", "/mirrors/m2/health", "/mirrors/{name}/health", nil, 200, "", 0},
	{"POST", "/mirrors/m2/recover", "/mirrors/{name}/recover", nil, 200, "", 0},
	{"GET", "/propagation?directory=" + dir, "/propagation", nil, 200, "", 0},
	// The fixture has no server snapshot to explain: 404 once past the scope.
	{"GET", "/explain?repo=fedora-41&arch=x86_64", "/explain", nil, 404, "", 0},
	{"GET", "/tokens", "/tokens", nil, 200, "", 0},
	{"POST", "/tokens", "/tokens", map[string]any{"scopes": []string{"admin"}}, 201, "", 0},
	{"DELETE", "/tokens/{m2token}", "/tokens/{id}", nil, 204, "", 0},
	{"GET", "/audit", "/audit", nil, 200, "", 0},
	{"GET", "/overrides", "/overrides", nil, 200, "", 0},
	{"PUT", "/overrides", "/overrides", map[string]any{"country_continents": []map[string]string{{"country": "IL", "continent": "EU"}}}, 200, "", 0},

	// Tricks: none may let report:m1 act on another mirror or elsewhere.
	{"POST", "/mirrors/m1%2F..%2Fm2/report", "", map[string]string{"directory": dir, "sha256": shaNow}, 404, "", 403},
	{"POST", "/mirrors/M1/report", "", map[string]string{"directory": dir, "sha256": shaNow}, 404, "", 403},
	{"POST", "/mirrors/m1%20/report", "", map[string]string{"directory": dir, "sha256": shaNow}, 404, "", 403},
	{"POST", "/mirrors/m1/report/", "", map[string]string{"directory": dir, "sha256": shaNow}, 404, "", 404},
	{"POST", "/mirrors/m1/../m2/report", "", map[string]string{"directory": dir, "sha256": shaNow}, 404, "", 404},
	{"POST", "/mirrors//report", "", map[string]string{"directory": dir, "sha256": shaNow}, 404, "", 403},
	{"GET", "/mirrors/m1/report", "", nil, 405, "", 405},
	{"PUT", "/mirrors/m1/report", "", nil, 405, "", 405},
	{"POST", "/mirrors/m1", "", goodMirror(map[string]any{"name": "m1"}), 405, "", 405},
	{"GET", "/mirrors/m1/freshness", "", nil, 404, "", 404},
	{"GET", "/api/v1/mirrors", "", nil, 404, "", 404},
}

// credentials of the matrix, in the order they are tried on one fixture:
// the refused ones first, admin last, since an admin request may change
// what later ones would see.
var credentials = []string{"", "Basic YWRtaW46YWRtaW4=", "Bearer mlk_not-a-token", "revoked", "report:m1", "report:m2", "admin"}

// want returns the status cred must get on e.
func (e endpoint) want(cred string) int {
	switch cred {
	case "admin":
		return e.admin
	case "report:m1", "report:m2":
		if e.mirror != "" && cred == "report:"+e.mirror {
			return e.admin
		}
		if e.other != 0 {
			return e.other
		}
		return http.StatusForbidden
	}
	return http.StatusUnauthorized
}

// TestScopeMatrix tries every endpoint with every kind of credential. Only
// an admin token, or a report token on its own mirror's report and forget,
// may succeed; every refusal leaves the store (data, tokens, audit log)
// exactly as it was.
func TestScopeMatrix(t *testing.T) { eachStore(t, testScopeMatrix) }

func testScopeMatrix(t *testing.T, kind storeKind) {
	covered := map[string]bool{}
	for _, e := range endpoints {
		covered[e.method+" "+e.pattern] = true
	}
	err := chi.Walk(newAPI(Options{}).routes(), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if !covered[method+" "+route] {
			t.Errorf("route %s %s is not in the scope matrix", method, route)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	cells := 0
	f := newFixture(t, kind)
	for _, e := range endpoints {
		t.Run(e.method+" "+e.path, func(t *testing.T) {
			f.seed(t)
			path := strings.ReplaceAll(e.path, "{m2token}", f.ids["report:m2"])
			for _, cred := range credentials {
				before := f.state()
				a := f.do(e.method, path, cred, e.body)
				cells++
				want := e.want(cred)
				if a.status != want {
					t.Errorf("%q: %d %s, want %d", cred, a.status, a.body, want)
				}
				own := e.mirror != "" && cred == "report:"+e.mirror
				if strings.HasPrefix(cred, "report:") && !own && a.status < 300 {
					t.Errorf("ESCAPE: %s succeeded with %d", cred, a.status)
				}
				if a.status >= 300 {
					f.unchanged(cred+" refused", before)
				}
			}
		})
	}
	t.Logf("scope matrix: %d endpoints × %d credentials = %d requests", len(endpoints), len(credentials), cells)
}

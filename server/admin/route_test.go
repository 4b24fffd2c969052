package admin

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
)

// TestRouteLabel checks that the route hook gets the routing table's
// pattern, before authentication refuses the request, alone and mounted.
func TestRouteLabel(t *testing.T) {
	var got string
	api := newAPI(Options{Route: func(_ http.ResponseWriter, p string) { got = p }}).routes()
	mounted := chi.NewRouter()
	mounted.Mount("/api/v1", api)
	for _, tt := range []struct{ method, path, want string }{
		{http.MethodGet, "/mirrors/de-mirror-1", "/mirrors/{name}"},
		{http.MethodPost, "/mirrors/de-mirror-1/report", "/mirrors/{name}/report"},
		{http.MethodGet, "/repositories/fedora-41/x86_64", "/repositories/{prefix}/{arch}"},
		{http.MethodGet, "/directories/releases/41/Everything", "/directories/*"},
		{http.MethodGet, "/no/such/thing", "unmatched"},
		{http.MethodPatch, "/tokens", "unmatched"},
	} {
		for prefix, h := range map[string]http.Handler{"": api, "/api/v1": mounted} {
			got = ""
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tt.method, prefix+tt.path, nil))
			if got != tt.want || w.Code != http.StatusUnauthorized {
				t.Errorf("%s %s%s: route %q and status %d, want %q and 401", tt.method, prefix, tt.path, got, w.Code, tt.want)
			}
		}
	}
}

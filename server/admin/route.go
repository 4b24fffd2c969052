package admin

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// routeLabel tells Options.Route the pattern of the route a request is
// for. It runs before authentication, so that refused requests are told
// apart by route too, and so it finds the route itself.
func (a *API) routeLabel(next http.Handler) http.Handler {
	if a.route == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.route(w, a.patternOf(r))
		next.ServeHTTP(w, r)
	})
}

// patternOf returns the pattern of r's route below the API's mount point,
// or "unmatched": the set of values is the routing table's.
func (a *API) patternOf(r *http.Request) string {
	path := r.URL.Path
	if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.RoutePath != "" {
		path = rctx.RoutePath
	}
	if p := a.router.Find(chi.NewRouteContext(), r.Method, path); p != "" {
		return p
	}
	return "unmatched"
}

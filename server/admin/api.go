// Package admin is metalinkd's admin HTTP API: JSON under /api/v1 for
// mirrors, locations, repositories, redirects, the scanned repomd state,
// freshness reports, the crawler's mirror health and propagation, tokens
// and the audit log. Every request carries a
// bearer token; an admin token may do everything, a report:<mirror> token
// only that mirror's freshness reports and forgets.
package admin

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/metalinkd/metalinkd/store"
)

// MaxBodyBytes bounds a request body; larger ones get 413.
const MaxBodyBytes = 1 << 20

// Options are the API's dependencies.
type Options struct {
	// Store holds the data the API reads and changes.
	Store store.Store
	// Tokens holds the credentials and the audit log; nil means Store's.
	Tokens store.Tokens
	// Log receives internal errors with the request id.
	Log *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Context bounds the API's background work (following the store's
	// changes); nil means it runs as long as the process.
	Context context.Context
	// FailureBudget limits bad tokens per client; the zero value means
	// DefaultFailureBudget.
	FailureBudget FailureBudget
	// ClientAddr returns the address of the client that sent r, for the
	// failure budget; nil means the peer address (r.RemoteAddr). Behind a
	// reverse proxy, it should return the client the proxy forwarded for,
	// or every client behind the proxy shares one budget.
	ClientAddr func(r *http.Request) netip.Addr
	// Route, when set, is told each request's route pattern (such as
	// /mirrors/{name}, or "unmatched"), before authentication, for metrics.
	Route func(w http.ResponseWriter, pattern string)
	// Explain, when set, serves GET /explain from the server's snapshot
	// (Server.Explain); without it that route answers 404.
	Explain Explainer
}

// API serves the admin endpoints.
type API struct {
	st         store.Store
	tokens     store.Tokens
	log        *slog.Logger
	now        func() time.Time
	index      *tokenIndex
	failures   *failures
	clientAddr func(r *http.Request) netip.Addr
	route      func(w http.ResponseWriter, pattern string)
	explainer  Explainer
	// router is the routing table, kept to list a path's methods in 405s.
	router *chi.Mux
}

// New returns the admin API handler, to be mounted at /api/v1.
func New(opts Options) http.Handler {
	return newAPI(opts).routes()
}

func newAPI(opts Options) *API {
	a := &API{st: opts.Store, tokens: opts.Tokens, log: opts.Log, now: opts.Now, clientAddr: opts.ClientAddr, route: opts.Route, explainer: opts.Explain}
	if a.tokens == nil {
		a.tokens = opts.Store
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.clientAddr == nil {
		a.clientAddr = peerAddr
	}
	budget := opts.FailureBudget
	if budget.Failures <= 0 || budget.Window <= 0 {
		budget = DefaultFailureBudget
	}
	if budget.MaxClients <= 0 {
		budget.MaxClients = DefaultFailureBudget.MaxClients
	}
	a.failures = newFailures(budget)
	a.index = newTokenIndex(func(ctx context.Context) ([]store.Token, error) { return a.tokens.ListTokens(ctx) })
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if a.st != nil {
		// Subscribed before the index is first loaded, so no change is missed.
		go a.index.watch(ctx, a.st.Changes(ctx))
	}
	return a
}

// routes is the whole routing table. Every route needs a valid token; the
// two mirror-scoped routes also accept that mirror's report token, and
// every other route is in the admin-only group, so a route added there is
// closed to report tokens by default.
func (a *API) routes() *chi.Mux {
	r := chi.NewRouter()
	a.router = r
	r.Use(a.routeLabel, a.requestID, a.authenticate)
	r.NotFound(a.handle(func(http.ResponseWriter, *http.Request) error { return errNoRoute }))
	r.MethodNotAllowed(a.handle(func(http.ResponseWriter, *http.Request) error { return errMethod }))

	r.With(a.mirrorScope).Post("/mirrors/{name}/report", a.handle(a.report))
	r.With(a.mirrorScope).Post("/mirrors/{name}/forget", a.handle(a.forget))

	r.Group(func(r chi.Router) {
		r.Use(a.adminOnly)

		r.Get("/overrides", a.handle(a.getOverrides))
		r.Put("/overrides", a.handle(a.putOverrides))
		r.Get("/mirrors", a.handle(a.listMirrors))
		r.Post("/mirrors", a.handle(a.createMirror))
		r.Get("/mirrors/{name}", a.handle(a.getMirror))
		r.Put("/mirrors/{name}", a.handle(a.replaceMirror))
		r.Patch("/mirrors/{name}", a.handle(a.patchMirror))
		r.Delete("/mirrors/{name}", a.handle(a.deleteMirror))
		r.Post("/mirrors/{name}/enable", a.handle(a.enableMirror(true)))
		r.Post("/mirrors/{name}/disable", a.handle(a.enableMirror(false)))
		r.Get("/mirrors/{name}/health", a.handle(a.getHealth))
		r.Post("/mirrors/{name}/recover", a.handle(a.recoverMirror))

		r.Get("/locations", a.handle(a.listLocations))
		r.Post("/locations", a.handle(a.createLocation))
		r.Get("/locations/{name}", a.handle(a.getLocation))
		r.Put("/locations/{name}", a.handle(a.replaceLocation))
		r.Delete("/locations/{name}", a.handle(a.deleteLocation))

		r.Get("/repositories", a.handle(a.listRepositories))
		r.Post("/repositories", a.handle(a.createRepository))
		r.Get("/repositories/{prefix}/{arch}", a.handle(a.getRepository))
		r.Put("/repositories/{prefix}/{arch}", a.handle(a.replaceRepository))
		r.Delete("/repositories/{prefix}/{arch}", a.handle(a.deleteRepository))
		r.Post("/repositories/{prefix}/{arch}/enable", a.handle(a.disableRepository(false)))
		r.Post("/repositories/{prefix}/{arch}/disable", a.handle(a.disableRepository(true)))

		r.Get("/redirects", a.handle(a.listRedirects))
		r.Post("/redirects", a.handle(a.createRedirect))
		r.Delete("/redirects/{from}", a.handle(a.deleteRedirect))

		r.Get("/directories", a.handle(a.listDirectories))
		r.Post("/directories/expire", a.handle(a.expireDirectory))
		r.Get("/directories/*", a.handle(a.getDirectory))

		r.Get("/freshness", a.handle(a.freshnessView))
		r.Get("/stats", a.handle(a.statsView))
		r.Get("/health", a.handle(a.listHealth))
		r.Get("/propagation", a.handle(a.listPropagation))
		r.Get("/explain", a.handle(a.explain))

		r.Get("/tokens", a.handle(a.listTokens))
		r.Post("/tokens", a.handle(a.createToken))
		r.Delete("/tokens/{id}", a.handle(a.revokeToken))

		r.Get("/audit", a.handle(a.listAudit))
	})
	return r
}

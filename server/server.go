// Package server is metalinkd's HTTP surface: the /metalink and /mirrorlist
// answers, health checks, and the snapshot they are answered from.
package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/metalinkd/metalinkd/internal/geoip"
	"github.com/metalinkd/metalinkd/internal/logging"
	"github.com/metalinkd/metalinkd/internal/version"
	"github.com/metalinkd/metalinkd/metalink"
)

// Options configure the HTTP surface.
type Options struct {
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Minimum is the mirror count below which the global list is added.
	Minimum int
	// MaxURLLength bounds the request target; longer ones get 414.
	MaxURLLength int
	// AccessLog, when set, gets one line per request.
	AccessLog io.Writer
	// AccessLogFormat is the access log's format: logging.Text for
	// key=value lines, JSON otherwise.
	AccessLogFormat logging.Format
	// VerifyLocation honours location= only from the location's own cloud ranges.
	VerifyLocation bool
	// Rand orders mirrors; nil means math/rand/v2's generator.
	Rand metalink.Rand
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Admin serves the admin API under /api/v1; nil leaves it out.
	Admin http.Handler
	// Metrics, when set, count requests; serve them on another listener.
	Metrics *Metrics
	// Stats, when set, count requests and countme hits for the store.
	Stats *Stats

	// AllowIPParam honours ip= from any client; without it only trusted
	// proxies' requests may name an address. ip= never changes location
	// verification, cloud-range steering or private mirrors.
	AllowIPParam bool
	// MaxBandwidth caps a mirror's bandwidth in the selection weights; 0
	// means metalink.DefaultMaxBandwidth.
	MaxBandwidth int
	// MountPrefix is where the master tree appears in Fedora's paths
	// (pub/fedora/linux): path= works with it or without it.
	MountPrefix string
	// FedoraFileLayout writes files' Metalink 3.0 answers exactly as
	// Fedora's server does (see metalink.Options.FedoraFileLayout).
	FedoraFileLayout bool
	// AnswerReuse is how many clients one drawn metalink may be given to
	// within its second when their answer depends on their country and
	// address family alone (see metalink.Options.Reuse); 0 or 1 draws
	// every answer afresh.
	AnswerReuse int
}

// Geo looks up what is known of a client address.
type Geo interface {
	Lookup(netip.Addr) geoip.Result
}

// Server answers from the current snapshot, which Reloader replaces.
type Server struct {
	opts    Options
	log     *slog.Logger
	geo     Geo
	state   *Reloader
	version version.Info
	// draining is set by Drain; /readyz then answers 503.
	draining atomic.Bool
	degraded degradedLog
	// systemClock says Options.Now is time.Now (see requestTime).
	systemClock bool
}

// New returns a server answering from r's snapshots.
func New(r *Reloader, geo Geo, log *slog.Logger, opts Options) *Server {
	if opts.Minimum <= 0 {
		opts.Minimum = metalink.DefaultMinimum
	}
	if opts.MaxURLLength <= 0 {
		opts.MaxURLLength = 4096
	}
	if opts.Rand == nil {
		opts.Rand = metalink.GlobalRand{}
	}
	systemClock := opts.Now == nil
	if systemClock {
		opts.Now = time.Now
	}
	return &Server{opts: opts, log: log, geo: geo, state: r, version: version.Get(), systemClock: systemClock}
}

// Handler returns the routing table wrapped in the request middleware.
// The two answers that carry nearly all traffic go straight to their
// handler; the router serves the rest.
func (s *Server) Handler() http.Handler {
	router := s.routes()
	return s.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && isAnswerPath(r.URL.Path) {
			s.mirrors(w, r)
			return
		}
		router.ServeHTTP(w, r)
	}))
}

// adminPrefix is where the admin API is mounted.
const adminPrefix = "/api/v1"

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Handle("/mirrors", &s.state.status)
	r.Handle("/mirrors/", &s.state.status)
	if s.opts.Admin != nil {
		r.Mount(adminPrefix, s.opts.Admin)
	}
	r.Get("/*", s.mirrors)
	r.Head("/*", s.mirrors)
	return r
}

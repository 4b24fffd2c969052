package cli

import (
	"flag"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/metalinkd/metalinkd/server"
)

// ServeLimits bound what clients of `metalinkd serve` may hold: see the
// README's "Limits" section for how to size them.
type ServeLimits struct {
	MaxConns          int           `json:"max_conns"`
	MaxConnsPerClient int           `json:"max_conns_per_client"`
	ReadTimeout       time.Duration `json:"read_timeout"`
	WriteTimeout      time.Duration `json:"write_timeout"`
	MaxHeaderBytes    int           `json:"max_header_bytes"`
	MaxBodyBytes      int64         `json:"max_body_bytes"`
}

// limitFlags declares the flags of the limits.
func limitFlags(env Env, fs *flag.FlagSet, l *ServeLimits) {
	fs.IntVar(&l.MaxConns, "max-conns", envInt(env, "METALINKD_MAX_CONNS", server.DefaultMaxConns()),
		"most connections open at once, by default 80% of the file descriptor limit (at most 50000); beyond it a new connection replaces the longest idle one, or gets 503 when none is idle (env METALINKD_MAX_CONNS)")
	fs.IntVar(&l.MaxConnsPerClient, "max-conns-per-client", envInt(env, "METALINKD_MAX_CONNS_PER_CLIENT", 0),
		"most connections one client address may hold open, 0 for no limit; leave it 0 behind a proxy, whose address every connection has (env METALINKD_MAX_CONNS_PER_CLIENT)")
	fs.DurationVar(&l.ReadTimeout, "read-timeout", 30*time.Second, "time allowed to read a request's body, from the end of its headers")
	fs.DurationVar(&l.WriteTimeout, "write-timeout", 60*time.Second, "time allowed to write an answer; a client that does not read it is cut off")
	fs.IntVar(&l.MaxHeaderBytes, "max-header-bytes", 64<<10, "largest request header block accepted; larger ones get 431")
	fs.Int64Var(&l.MaxBodyBytes, "max-body-bytes", 1<<20, "largest request body accepted; larger ones get 413")
}

// valid reports whether every limit is usable.
func (l ServeLimits) valid() bool {
	return l.MaxConns >= 1 && l.MaxConnsPerClient >= 0 && l.ReadTimeout > 0 && l.WriteTimeout > 0 &&
		l.MaxHeaderBytes >= 1024 && l.MaxBodyBytes >= 0
}

// listen opens the listening socket and returns the HTTP server for
// handler with the configured timeouts and limits.
func listen(c ServeConfig, handler http.Handler, log *slog.Logger) (*http.Server, net.Listener, error) {
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return nil, nil, err
	}
	// The idle and write timeouts are the limiter's, the read timeout is
	// set on requests with a body only: http.Server's own would set
	// deadlines around every request, at a tenth of a small answer's cost.
	// The headers' timeout stays http.Server's, which alone sees when a
	// request's first bytes arrive.
	lim := server.NewConnLimiter(ln, server.ConnLimits{Max: c.MaxConns, PerClient: c.MaxConnsPerClient,
		IdleTimeout: c.IdleTimeout, WriteTimeout: c.WriteTimeout}, log)
	srv := &http.Server{
		Handler:           server.LimitBody(handler, c.MaxBodyBytes, c.ReadTimeout),
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		MaxHeaderBytes:    c.MaxHeaderBytes,
		ConnState:         lim.ConnState,
		ConnContext:       server.ConnContext,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return srv, lim, nil
}

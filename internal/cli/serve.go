package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/metalinkd/metalinkd/internal/demo"
	"github.com/metalinkd/metalinkd/internal/geoip"
	"github.com/metalinkd/metalinkd/internal/logging"
	"github.com/metalinkd/metalinkd/internal/version"
	"github.com/metalinkd/metalinkd/metalink"
	"github.com/metalinkd/metalinkd/server"
	"github.com/metalinkd/metalinkd/server/admin"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/postgres"
)

// ServeConfig is the configuration of `metalinkd serve`, from flags with
// defaults from the environment.
type ServeConfig struct {
	Listen            string         `json:"listen"`
	Store             *storeChoice   `json:"-"`
	StoreDescription  string         `json:"store"`
	Demo              bool           `json:"demo"`
	GeoIPDB           string         `json:"geoip_db"`
	ASNDB             string         `json:"asn_db"`
	TrustedProxies    []netip.Prefix `json:"trusted_proxies"`
	Minimum           int            `json:"minimum"`
	MaxBandwidth      int            `json:"max_bandwidth"`
	AnswerReuse       int            `json:"answer_reuse"`
	MountPrefix       string         `json:"mount_prefix"`
	MaxURLLength      int            `json:"max_url_length"`
	AccessLog         bool           `json:"access_log"`
	LogFile           string         `json:"log_file"`
	AccessLogFile     string         `json:"access_log_file"`
	VerifyLocation    bool           `json:"verify_location"`
	AllowIPParam      bool           `json:"allow_ip_param"`
	FedoraFileLayout  bool           `json:"fedora_file_metalinks"`
	LogFormat         string         `json:"log_format"`
	LogLevel          string         `json:"log_level"`
	Reload            time.Duration  `json:"reload_interval"`
	ReadHeaderTimeout time.Duration  `json:"read_header_timeout"`
	IdleTimeout       time.Duration  `json:"idle_timeout"`
	Drain             time.Duration  `json:"drain"`
	PrintConfig       bool           `json:"-"`
	ServeLimits

	// Outages of the database: per-call deadlines, health check, snapshot cache.
	DBTimeouts     postgres.Timeouts `json:"db_timeouts"`
	DBPingInterval time.Duration     `json:"db_ping_interval"`
	SnapshotCache  string            `json:"snapshot_cache"`

	// MetricsListen is the address of the Prometheus metrics listener,
	// empty for none.
	MetricsListen string `json:"metrics_listen"`
	// metrics, set by runServe when MetricsListen is, are what wireServer
	// instruments.
	metrics *server.Metrics

	// Statistics: flush period and retention.
	StatsConfig
	// stats, set by wireServer when statistics are on, count the answers.
	stats *server.Stats
}

// LoadServeConfig parses serve's flags over environment defaults and validates them.
func LoadServeConfig(env Env, args []string) (ServeConfig, error) {
	var c ServeConfig
	fs := newFlagSet(env, "serve", "[flags]",
		"Serve /metalink and /mirrorlist (any path ending in those), /healthz and /readyz\n"+
			"from an in-memory snapshot of the store, rebuilt when the store changes.")
	fs.StringVar(&c.Listen, "listen", envOr(env, "METALINKD_LISTEN", "127.0.0.1:8080"), "`address` to listen on (env METALINKD_LISTEN)")
	c.Store = storeFlags(env, fs)
	fs.BoolVar(&c.Demo, "demo", false, "load the built-in demo data set into the embedded store first (default data dir: a separate metalinkd-demo directory)")
	fs.StringVar(&c.GeoIPDB, "geoip-db", env.Getenv("METALINKD_GEOIP_DB"), "MaxMind-format country database (`mmdb`) for the country and continent steps (env METALINKD_GEOIP_DB)")
	fs.StringVar(&c.ASNDB, "asn-db", env.Getenv("METALINKD_ASN_DB"), "MaxMind-format ASN database (`mmdb`) for the ASN step (env METALINKD_ASN_DB)")
	proxies := fs.String("trusted-proxy", env.Getenv("METALINKD_TRUSTED_PROXIES"), "comma-separated `CIDRs` of proxies whose X-Forwarded-For is believed (env METALINKD_TRUSTED_PROXIES)")
	fs.IntVar(&c.Minimum, "minimum", envInt(env, "METALINKD_MINIMUM", 5), "add the global list when fewer than this many mirrors were found (env METALINKD_MINIMUM)")
	fs.StringVar(&c.MountPrefix, "mount-prefix", envOr(env, "METALINKD_MOUNT_PREFIX", "pub/fedora/linux"),
		"where the master tree's root appears in the paths clients send (`path`): path= is looked up as sent, then with it taken off or put on; \"\" for none (env METALINKD_MOUNT_PREFIX)")
	fs.BoolVar(&c.FedoraFileLayout, "fedora-file-metalinks", envOr(env, "METALINKD_FEDORA_FILE_METALINKS", "false") == "true",
		"write the Metalink 3.0 answer for a file (an image, not repomd.xml) exactly as Fedora's server does, without the one-piece <pieces> element that lets aria2 reject a corrupted copy and complete from the next mirror (env METALINKD_FEDORA_FILE_METALINKS=true|false)")
	fs.IntVar(&c.MaxBandwidth, "max-bandwidth", envInt(env, "METALINKD_MAX_BANDWIDTH", 10000), "cap (`Mbit/s`) on a mirror's bandwidth in the selection weights, as Fedora's server caps it (env METALINKD_MAX_BANDWIDTH)")
	fs.IntVar(&c.AnswerReuse, "answer-reuse", envInt(env, "METALINKD_ANSWER_REUSE", 16),
		"give one drawn metalink to up to this many clients within the second it was drawn, when no netblock, ASN, location, cloud range, country= or protocol= singles them out and they share country and address family; each still gets a weighted shuffle independent of it; 0 or 1 draws every answer afresh (env METALINKD_ANSWER_REUSE)")
	fs.IntVar(&c.MaxURLLength, "max-url-length", 4096, "longest request target accepted; longer ones get 414")
	fs.BoolVar(&c.AccessLog, "access-log", envOr(env, "METALINKD_ACCESS_LOG", "true") == "true", "log one line per request (env METALINKD_ACCESS_LOG=true|false)")
	fs.StringVar(&c.LogFile, "log-file", env.Getenv("METALINKD_LOG_FILE"), "append the server log to `path` instead of stderr; reopened on SIGHUP (env METALINKD_LOG_FILE)")
	fs.StringVar(&c.AccessLogFile, "access-log-file", env.Getenv("METALINKD_ACCESS_LOG_FILE"), "append the access log to `path` instead of stderr; reopened on SIGHUP (env METALINKD_ACCESS_LOG_FILE)")
	fs.BoolVar(&c.VerifyLocation, "verify-location", envOr(env, "METALINKD_VERIFY_LOCATION", "false") == "true", "honour location= only from addresses inside that location's cloud ranges (env METALINKD_VERIFY_LOCATION=true|false)")
	fs.BoolVar(&c.AllowIPParam, "allow-ip-param", envOr(env, "METALINKD_ALLOW_IP_PARAM", "false") == "true", "honour ip= (select as if from that address) from any client, not only from --trusted-proxy peers; it never reaches private mirrors, cloud ranges or --verify-location (env METALINKD_ALLOW_IP_PARAM=true|false)")
	fs.StringVar(&c.LogFormat, "log-format", envOr(env, "METALINKD_LOG_FORMAT", "auto"), "log format: auto (text on a terminal, else JSON), json or text (env METALINKD_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", envOr(env, "METALINKD_LOG_LEVEL", "info"), "log level: debug, info, warn or error (env METALINKD_LOG_LEVEL)")
	fs.DurationVar(&c.Reload, "reload-interval", 5*time.Minute, "read the store's change log at least this often, besides on every change signal")
	fs.DurationVar(&c.ReadHeaderTimeout, "read-header-timeout", 5*time.Second, "time allowed to read a request's headers")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", 120*time.Second, "how long an idle keep-alive connection stays open")
	limitFlags(env, fs, &c.ServeLimits)
	fs.DurationVar(&c.Drain, "drain", envDuration(env, "METALINKD_DRAIN", 5*time.Second), "on SIGTERM or SIGINT, answer /readyz with 503 for this long before shutting down, so that load balancers stop sending requests (env METALINKD_DRAIN)")
	fs.BoolVar(&c.PrintConfig, "print-config", false, "print the effective configuration as JSON and exit")
	outageFlags(env, fs, &c)
	fs.StringVar(&c.MetricsListen, "metrics-listen", env.Getenv("METALINKD_METRICS_LISTEN"),
		"`address` to serve Prometheus metrics on at /metrics, never the public one; off when empty (env METALINKD_METRICS_LISTEN)")
	statsFlags(env, fs, &c.StatsConfig)
	if err := parse(fs, args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if err := c.Store.resolve(env, c.Demo); err != nil {
		return c, err
	}
	if c.Demo && c.Store.DatabaseURL != "" {
		return c, usageError{"--demo loads demo data into the embedded store only; leave out --database-url"}
	}
	c.StoreDescription = c.Store.String()
	if err := c.resolveOutage(); err != nil {
		return c, err
	}
	for _, p := range strings.Split(*proxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pfx, err := store.ParseNetblock(p)
		if err != nil {
			return c, usageError{fmt.Sprintf("--trusted-proxy: %v", err)}
		}
		c.TrustedProxies = append(c.TrustedProxies, pfx)
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return c, usageError{fmt.Sprintf("--listen %q: want host:port", c.Listen)}
	}
	if c.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.MetricsListen); err != nil || c.MetricsListen == c.Listen {
			return c, usageError{fmt.Sprintf("--metrics-listen %q: want host:port, other than --listen", c.MetricsListen)}
		}
	}
	if c.MaxBandwidth < 1 {
		return c, usageError{"--max-bandwidth must be >= 1"}
	}
	if c.AnswerReuse < 0 {
		return c, usageError{"--answer-reuse must be >= 0"}
	}
	c.MountPrefix = strings.Trim(c.MountPrefix, "/")
	if c.MountPrefix != "" && store.CheckTreePath(c.MountPrefix) != "" {
		return c, usageError{fmt.Sprintf("--mount-prefix %q: want a relative path such as pub/fedora/linux", c.MountPrefix)}
	}
	if c.Minimum < 1 || c.MaxURLLength < 256 || c.Reload <= 0 || c.ReadHeaderTimeout <= 0 || c.IdleTimeout <= 0 {
		return c, usageError{"--minimum must be >= 1, --max-url-length >= 256, and durations positive"}
	}
	if !c.ServeLimits.valid() {
		return c, usageError{"--max-conns must be >= 1, --max-conns-per-client >= 0, --max-header-bytes >= 1024, --max-body-bytes >= 0, and timeouts positive"}
	}
	if c.Drain < 0 {
		return c, usageError{"--drain must not be negative"}
	}
	if !c.StatsConfig.valid() {
		return c, usageError{"--stats-flush must not be negative, --stats-keep-days and --stats-keep-weeks >= 1"}
	}
	return c, nil
}

func envDuration(env Env, name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(env.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envInt(env Env, name string, def int) int {
	if v, err := strconv.Atoi(env.Getenv(name)); err == nil {
		return v
	}
	return def
}

func runServe(ctx context.Context, env Env, args []string) error {
	c, err := LoadServeConfig(env, args)
	if err != nil {
		return err
	}
	if c.PrintConfig {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(c)
	}
	// SIGHUP is taken at once: its default action would end the process
	// while it starts.
	hup := make(chan os.Signal, 1)
	if env.Signals != nil {
		env.Signals.Notify(hup, syscall.SIGHUP)
		defer env.Signals.Stop(hup)
	}
	logs, err := openLogs(env, c)
	if err != nil {
		return err
	}
	defer logs.close()
	log, err := newLogger(logs.serverEnv, c.LogFormat, c.LogLevel)
	if err != nil {
		return err
	}
	if c.MetricsListen != "" {
		c.metrics = server.NewMetrics()
		stop, err := serveMetrics(c.MetricsListen, c.metrics, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	w, cleanup, err := wireServer(ctx, c, log, logs.access, logs.accessFormat)
	if err != nil {
		return err
	}
	defer cleanup()
	srv, ln, err := listen(c, w.srv.Handler(), log)
	if err != nil {
		return err
	}
	if lim, ok := ln.(*server.ConnLimiter); ok {
		c.metrics.WatchConns(lim)
	}
	log.Info("listening", "addr", ln.Addr().String(), "store", c.StoreDescription, "demo", c.Demo,
		"version", version.Get().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	for ctx.Err() == nil {
		select {
		case err := <-errc:
			return err
		case <-hup:
			logs.reopen(log)
			w.reloader.Trigger()
		case <-ctx.Done():
		}
	}
	return drainAndShutdown(srv, w.srv, errc, c.Drain, log)
}

// drainAndShutdown ends serving in two steps: /readyz answers 503 for the
// drain while every other path goes on answering, so that load balancers
// take the replica out before it stops; then the server closes its
// listener and waits (10 s at most) for the requests in flight.
func drainAndShutdown(srv *http.Server, s *server.Server, errc <-chan error, drain time.Duration, log *slog.Logger) error {
	if drain > 0 {
		log.Info("draining: /readyz answers 503", "drain", drain.String())
		s.Drain()
		// Connections close after their current request, so that clients
		// reconnect through the load balancer to another replica.
		srv.SetKeepAlivesEnabled(false)
		select {
		case err := <-errc:
			return err
		case <-time.After(drain):
		}
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// geoCacheBytes bounds the GeoIP lookup cache: about 100,000 addresses.
const geoCacheBytes = 24 << 20

// wired is what serve runs: the HTTP surface and the reloader behind it.
type wired struct {
	srv      *server.Server
	reloader *server.Reloader
}

// wireServer opens the store and the GeoIP databases, loads the first
// snapshot, starts the reloader and returns the server, its reloader and
// a cleanup.
func wireServer(ctx context.Context, c ServeConfig, log *slog.Logger, access io.Writer, accessFormat logging.Format) (*wired, func(), error) {
	// PostgreSQL opens lazily: the first load decides whether to start
	// live, from the snapshot cache, or not at all.
	st, err := c.Store.open(ctx, postgres.WithLogger(log), postgres.WithTimeouts(c.DBTimeouts), postgres.Lazily())
	if err != nil {
		return nil, nil, err
	}
	if c.Demo {
		d, err := demo.Dataset(time.Now())
		if err == nil {
			err = st.Restore(ctx, d)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("demo data: %w", err)
		}
	}
	geo, err := geoip.Open(c.GeoIPDB, c.ASNDB, geoCacheBytes)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	c.stats = newStats(c.StatsConfig, c.metrics)
	rl, err := startReloader(ctx, c, st, log)
	if err != nil {
		geo.Close()
		st.Close()
		return nil, nil, err
	}
	// The reloader outlives a cancelled ctx (SIGTERM): it goes on during
	// the drain, and cleanup stops it.
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { rl.Run(rctx); close(done) }()
	// The last flush runs at cleanup, after the HTTP server has finished
	// the requests in flight.
	stopStats := startStats(rctx, c.StatsConfig, c.stats, st, rl, log)
	// The admin API's failure budget counts the client the server resolves
	// (behind a trusted proxy, the one it forwarded for), not the proxy.
	var srv *server.Server
	var route func(http.ResponseWriter, string)
	if c.metrics != nil {
		route = server.AdminRoute
	}
	clientAddr := func(r *http.Request) netip.Addr { return srv.ClientAddr(r) }
	explain := func(q *metalink.Query, a netip.Addr) metalink.Explanation { return srv.Explain(q, a) }
	srv = server.New(rl, geo, log, server.Options{
		TrustedProxies: c.TrustedProxies, Minimum: c.Minimum, MaxURLLength: c.MaxURLLength, AccessLog: access,
		AccessLogFormat: accessFormat, VerifyLocation: c.VerifyLocation, AllowIPParam: c.AllowIPParam,
		MaxBandwidth: c.MaxBandwidth, MountPrefix: c.MountPrefix, FedoraFileLayout: c.FedoraFileLayout,
		AnswerReuse: c.AnswerReuse,
		Admin: rl.Guard(admin.New(admin.Options{Store: st, Log: log, Context: rctx, ClientAddr: clientAddr, Route: route,
			Explain: explain})),
		Metrics: c.metrics,
		Stats:   c.stats,
	})
	cleanup := func() { cancel(); stopStats(); <-done; geo.Close(); st.Close() }
	return &wired{srv: srv, reloader: rl}, cleanup, nil
}

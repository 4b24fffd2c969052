// Package crawler checks which repomd.xml each public mirror serves for
// each scanned directory, over HTTP, HTTPS and rsync, and says per mirror
// and protocol whether it could be reached: the store turns that into
// freshness, health and propagation.
package crawler

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// Defaults of Config.
const (
	DefaultConcurrency  = 16
	DefaultPerMirror    = 2
	DefaultTimeout      = 30 * time.Second
	DefaultDeadline     = 10 * time.Minute
	DefaultMaxBody      = 4 << 20
	DefaultMaxRedirects = 5
	DefaultRsyncMinDirs = 100
)

// Config bounds a crawl. Zero values take the defaults above.
type Config struct {
	// Concurrency is how many mirrors are crawled at once.
	Concurrency int
	// PerMirror is how many connections one mirror gets at once.
	PerMirror int
	// Timeout bounds one request (connect, headers and body).
	Timeout time.Duration
	// Deadline bounds the whole crawl of one mirror; what is left
	// unchecked then is recorded as an error and the mirror as failed.
	Deadline time.Duration
	// MaxBody is the most bytes read of one repomd.xml.
	MaxBody int64
	// MaxRedirects is how many redirects, within the mirror's host, one
	// request follows.
	MaxRedirects int
	// RootCAs verifies HTTPS mirrors; nil uses the system's roots.
	RootCAs *x509.CertPool
	// Rsync is the rsync client's path; "" means "rsync" on PATH.
	Rsync string
	// RsyncMinDirs: a mirror with an rsync URL and at least this many
	// directories to check is checked with one rsync listing instead of a
	// request per directory.
	RsyncMinDirs int
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Concurrency, DefaultConcurrency)
	def(&c.PerMirror, DefaultPerMirror)
	def(&c.MaxRedirects, DefaultMaxRedirects)
	def(&c.RsyncMinDirs, DefaultRsyncMinDirs)
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Deadline <= 0 {
		c.Deadline = DefaultDeadline
	}
	if c.MaxBody <= 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.Rsync == "" {
		c.Rsync = "rsync"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Crawler crawls mirrors. It remembers the validators (ETag,
// Last-Modified) each URL answered with, so that later crawls by the same
// Crawler send conditional requests.
type Crawler struct {
	cfg   Config
	cache *validatorCache
}

// New returns a Crawler with cfg's bounds.
func New(cfg Config) *Crawler {
	return &Crawler{cfg: cfg.withDefaults(), cache: newValidatorCache()}
}

// Crawlable reports whether the crawler checks m: enabled by its admin,
// public and not a regional bucket. A mirror the crawler itself disabled
// stays enabled by its admin, so it is crawled and can recover.
func Crawlable(m *store.Mirror) bool {
	return m.Enabled && !m.Private && !m.Regional()
}

// Sink receives each mirror's result as soon as that mirror is done.
type Sink func(ctx context.Context, r store.CrawlResult) error

// ErrInterrupted is returned when ctx ended before every mirror was done;
// the results of unfinished mirrors were dropped, not sunk.
var ErrInterrupted = errors.New("crawl interrupted")

// Crawl checks dirs on every mirror, at most Concurrency mirrors at once,
// handing each finished mirror's result to sink. A sink error stops the
// crawl. Mirrors cut off by their deadline are results; mirrors cut off by
// the end of ctx are dropped, and Crawl returns ErrInterrupted.
func (c *Crawler) Crawl(ctx context.Context, mirrors []store.Mirror, dirs []store.Directory, sink Sink) error {
	tr := c.transport()
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: c.checkRedirect}

	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, c.cfg.Concurrency)
	var wg sync.WaitGroup
	for i := range mirrors {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(m store.Mirror) {
			defer wg.Done()
			defer func() { <-sem }()
			r, ok := c.crawlMirror(ctx, client, m, dirs)
			if !ok {
				return
			}
			if err := sink(ctx, r); err != nil {
				cancel(fmt.Errorf("crawler: recording mirror %q: %w", m.Name, err))
			}
		}(mirrors[i])
	}
	wg.Wait()
	if parent.Err() != nil {
		return ErrInterrupted
	}
	return context.Cause(ctx)
}

// crawlMirror crawls one mirror; ok is false when ctx ended first.
func (c *Crawler) crawlMirror(ctx context.Context, client *http.Client, m store.Mirror, dirs []store.Directory) (store.CrawlResult, bool) {
	r := store.CrawlResult{Mirror: m.Name, Started: c.cfg.Now()}
	mctx, cancel := context.WithTimeout(ctx, c.cfg.Deadline)
	defer cancel()
	mc := &mirrorCrawl{c: c, client: client, ctx: mctx, mirror: m, dirs: dirs}
	r.Checks, r.Observations = mc.run()
	if ctx.Err() != nil {
		return r, false
	}
	r.Finished = c.cfg.Now()
	sort.Slice(r.Observations, func(i, j int) bool { return r.Observations[i].Directory < r.Observations[j].Directory })
	return r, true
}

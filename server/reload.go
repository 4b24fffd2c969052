package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/metalinkd/metalinkd/metalink"
	"github.com/metalinkd/metalinkd/server/status"
	"github.com/metalinkd/metalinkd/store"
)

// Reloader keeps the current snapshot: it builds one from the store at
// start; when the store signals a change, and on a timer as a safety net,
// it reads what changed from the store's change log and patches the
// snapshot (freshness, mirrors), or rebuilds it (debounced) when the change
// touched more. Every read of the whole dataset streams its freshness (see
// readPass): the snapshot, the status page and the dataset metrics take
// what they need from each row as it comes, and no more than the rest of
// the dataset is held. The status page and the metrics catch up with
// patches by a pass of their own, at most every StatusEvery; the cache is
// written by another, at most every CacheEvery. It keeps the last good
// snapshot when a rebuild fails, so that the server goes on answering
// while the store is away. With a snapshot cache it can also start while
// the store is away; with a health check it notices a store that stopped
// answering before a reload does.
type Reloader struct {
	st       store.Store
	log      *slog.Logger
	opts     ReloaderOptions
	debounce time.Duration
	timeout  time.Duration
	snap     atomic.Pointer[metalink.Snapshot]
	// mu serialises rebuilds and patches; seq is the change-log number the
	// snapshot includes.
	mu  sync.Mutex
	seq int64
	// patched asks the status refresher for a pass: patches were applied.
	patched chan struct{}
	lastErr atomic.Pointer[error]
	// cachedAt is when the cached dataset being served was saved, until
	// the first successful reload.
	cachedAt atomic.Pointer[time.Time]
	health   dbHealth
	// changes is the store's change signal, subscribed to before the first
	// load so that a change committed between that load and Run is not
	// missed; stopChanges ends the subscription.
	changes     <-chan struct{}
	stopChanges context.CancelFunc
	// kick asks Run for a reload at once (the store answers again).
	kick chan struct{}
	// asked holds a reload requested through Trigger; at most one waits.
	asked chan struct{}
	// cacheDue asks the cache writer to write the store's dataset.
	cacheDue chan struct{}
	now      func() time.Time
	// status is the public status page, built from each pass over the
	// dataset because the snapshot keeps neither freshness nor disabled mirrors.
	status status.Board
}

// ReloaderOptions configure StartReloader.
type ReloaderOptions struct {
	// Every is the safety reload's period.
	Every time.Duration
	// Cache, when set, is written after successful loads (at most once per
	// CacheEvery, default a minute, by a streaming read of its own) and
	// served from when the first load fails because the store is unavailable.
	Cache      *store.CacheFile
	CacheEvery time.Duration
	// Health, when set, is pinged every PingEvery (default 2 s), each ping
	// bounded by as long; a failed ping makes Status degraded at once.
	Health    Pinger
	PingEvery time.Duration
	// Metrics, when set, get each dataset loaded and each failure.
	Metrics *Metrics
	// StatusEvery (default 10 s) bounds how often patched changes make
	// the status page and the metrics read the dataset again.
	StatusEvery time.Duration
	// Stats, when set, learn the labels of each dataset loaded.
	Stats *Stats
}

// reloadTimeout bounds one rebuild. A database that vanished without
// closing its connections (a crashed host, a partition) would otherwise
// hold a reload for as long as TCP retransmits, many minutes during which
// no reload is tried and /readyz reports nothing wrong.
const reloadTimeout = time.Minute

// Retries of a failed reload, besides change signals and the safety timer.
const (
	minRetry = time.Second
	maxRetry = 15 * time.Second
)

// NewReloader loads the first snapshot; it fails when that is impossible.
func NewReloader(ctx context.Context, st store.Store, log *slog.Logger, every time.Duration) (*Reloader, error) {
	return StartReloader(ctx, st, log, ReloaderOptions{Every: every})
}

// StartReloader loads the first snapshot from the store or, when the store
// is unavailable, from the cache. It fails when neither is possible, or when
// the store answers but its data cannot be used.
func StartReloader(ctx context.Context, st store.Store, log *slog.Logger, opts ReloaderOptions) (*Reloader, error) {
	if opts.Every <= 0 {
		opts.Every = 5 * time.Minute
	}
	if opts.CacheEvery <= 0 {
		opts.CacheEvery = time.Minute
	}
	if opts.PingEvery <= 0 {
		opts.PingEvery = 2 * time.Second
	}
	if opts.StatusEvery <= 0 {
		opts.StatusEvery = 10 * time.Second
	}
	r := &Reloader{st: st, log: log, opts: opts, debounce: 100 * time.Millisecond, timeout: reloadTimeout,
		kick: make(chan struct{}, 1), asked: make(chan struct{}, 1), cacheDue: make(chan struct{}, 1), patched: make(chan struct{}, 1),
		now: time.Now}
	opts.Metrics.watchReloader(r)
	// The subscription outlives ctx (serve's, which ends on SIGTERM while
	// the reloader goes on through the drain): Run's context, or Close of
	// the store, ends it.
	var sub context.Context
	sub, r.stopChanges = context.WithCancel(context.WithoutCancel(ctx))
	r.changes = st.Changes(sub)
	err := r.Reload(ctx)
	if err == nil {
		return r, nil
	}
	if opts.Cache == nil || !errors.Is(err, store.ErrUnavailable) {
		r.stopChanges()
		return nil, err
	}
	var saved time.Time
	p, cerr := readPass(func(fn func(d *store.Dataset, rows store.FreshnessRows) error) error {
		return opts.Cache.Export(func(d *store.Dataset, at time.Time, rows store.FreshnessRows) error {
			saved = at
			return fn(d, rows)
		})
	}, true, func() time.Time { return saved })
	if cerr != nil {
		return nil, fmt.Errorf("%w; and the snapshot cache cannot be served: %w", err, cerr)
	}
	r.snap.Store(p.snap)
	r.cachedAt.Store(&saved)
	opts.Metrics.loadedCounted(p.d, p.counter, 0)
	opts.Stats.loaded(p.d)
	releaseMemory()
	log.Warn("the store is unavailable; serving the snapshot cache until it answers",
		"cache", opts.Cache.Path(), "saved", saved.UTC(), "mirrors", r.Snapshot().MirrorCount(), "err", err)
	return r, nil
}

// NewStaticReloader serves one fixed snapshot (tests, benchmarks).
func NewStaticReloader(s *metalink.Snapshot) *Reloader {
	r := &Reloader{now: time.Now}
	r.snap.Store(s)
	return r
}

// Snapshot returns the current snapshot.
func (r *Reloader) Snapshot() *metalink.Snapshot { return r.snap.Load() }

// Err returns the error of the last reload, else that of the last failed
// health check, or nil when both succeeded.
func (r *Reloader) Err() error {
	if p := r.lastErr.Load(); p != nil {
		return *p
	}
	return r.health.err()
}

// Status says whether the snapshot is current and, when it is not, why,
// in words fit for any client (the errors themselves go to the log).
func (r *Reloader) Status() (ok bool, reason string) {
	if at := r.cachedAt.Load(); at != nil {
		return false, "the store could not be read since start; answering from the snapshot cache saved at " +
			at.UTC().Format(time.RFC3339)
	}
	if r.health.err() != nil {
		return false, "the store does not answer its health check; answering from the last snapshot"
	}
	if r.lastErr.Load() != nil {
		return false, "the store could not be read; answering from the last snapshot"
	}
	return true, ""
}

// bounded returns ctx bounded by the reloader's timeout for one read of the
// store, when there is one.
func (r *Reloader) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if r.timeout > 0 {
		return context.WithTimeout(ctx, r.timeout)
	}
	return ctx, func() {}
}

// Reload builds a snapshot from the store and swaps it in.
func (r *Reloader) Reload(ctx context.Context) error {
	ctx, cancel := r.bounded(ctx)
	defer cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	start := time.Now()
	// The change-log number is read first: the load includes at least
	// every change up to it, and patches are idempotent, so the next patch
	// may safely start there.
	seq, err := r.st.ChangeSeq(ctx)
	var p *pass
	if err == nil {
		p, err = readPass(r.storeExport(ctx), true, r.now)
	}
	if err != nil {
		r.lastErr.Store(&err)
		r.opts.Metrics.reloadFailed()
		return err
	}
	snap := p.snap
	r.opts.Stats.loaded(p.d)
	r.status.SetPropagation(r.propagation(ctx, p.d))
	r.status.UpdateCounted(p.d, p.counter, snap)
	r.snap.Store(snap)
	r.seq = seq
	r.lastErr.Store(nil)
	r.cachedAt.Store(nil)
	// Tallied once the snapshot serves, so that the change is not delayed.
	r.opts.Metrics.loadedCounted(p.d, p.counter, time.Since(start))
	if r.opts.Cache != nil {
		signal(r.cacheDue)
	}
	releaseMemory()
	return nil
}

// releaseMemory hands the memory a pass over the dataset used, garbage
// once its snapshot and status page are built (or its cache written), back
// to the system at once rather than over minutes: passes are rare now that
// changes are patched in, and the resident size between them is the
// server's footprint.
func releaseMemory() { debug.FreeOSMemory() }

// Update brings the snapshot up to date with the store's change log: it
// patches it when only freshness and mirrors changed, and rebuilds it
// otherwise (after the debounce, so that a burst of such changes settles
// into one rebuild). It reports whether it rebuilt.
func (r *Reloader) Update(ctx context.Context) (rebuilt bool, err error) {
	cs, err := r.patch(ctx)
	if err != nil {
		r.lastErr.Store(&err)
		r.opts.Metrics.reloadFailed()
		return false, err
	}
	if !cs.Full {
		return false, nil
	}
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-time.After(r.debounce):
	}
	return true, r.Reload(ctx)
}

// patch reads the changes since the snapshot's and, unless they need a
// rebuild, applies them.
func (r *Reloader) patch(ctx context.Context) (*store.ChangeSet, error) {
	ctx, cancel := r.bounded(ctx)
	defer cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	cs, err := r.st.ChangesSince(ctx, r.seq)
	if err != nil || cs.Full {
		return cs, err
	}
	if !cs.Empty() {
		r.snap.Store(r.Snapshot().Patch(cs, r.now()))
		signal(r.patched)
	}
	r.seq = cs.Through
	return cs, nil
}

// Trigger asks Run to reload at once, without waiting for a change signal
// or the timer (metalinkd serve does on SIGHUP). Requests made while one is
// pending count as one.
func (r *Reloader) Trigger() { signal(r.asked) }

// Run updates the snapshot on change signals and timer ticks (Update: a
// patch at once, or a debounced rebuild), and rebuilds it on Trigger and,
// while reloads fail, on retries with backoff, until ctx ends. It also
// runs the status refresher and, when configured, the health check and
// the cache writer. A reload asked for with
// Trigger is logged at info level, the others at debug level.
func (r *Reloader) Run(ctx context.Context) {
	done := make(chan struct{})
	defer func() { <-done }()
	go func() { defer close(done); r.background(ctx) }()
	changes := r.changes
	if r.stopChanges != nil {
		stop := context.AfterFunc(ctx, r.stopChanges)
		defer stop()
	}
	tick := time.NewTicker(r.opts.Every)
	defer tick.Stop()
	backoff := minRetry
	for {
		var retry <-chan time.Time
		if r.lastErr.Load() != nil || r.cachedAt.Load() != nil {
			retry = time.After(backoff)
		}
		level, reason := slog.LevelDebug, "interval"
		full := true
		select {
		case <-ctx.Done():
			return
		case <-changes:
			reason, full = "change", false
		case <-tick.C:
			// A safety net for a lost signal.
			full = false
		case <-r.asked:
			level, reason = slog.LevelInfo, "request"
		case <-r.kick:
			reason = "store back"
		case <-retry:
			reason = "retry"
			backoff = min(2*backoff, maxRetry)
		}
		start := time.Now()
		var err error
		if full || r.lastErr.Load() != nil || r.cachedAt.Load() != nil {
			err = r.Reload(ctx)
		} else {
			full, err = r.Update(ctx)
		}
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("reload failed; serving the previous snapshot", "reason", reason, "err", err)
			}
			continue
		}
		backoff = minRetry
		what := "snapshot patched"
		if full {
			what = "snapshot reloaded"
		}
		r.log.Log(ctx, level, what, "reason", reason, "duration_ms", time.Since(start).Milliseconds(),
			"mirrors", r.Snapshot().MirrorCount())
	}
}

// background runs the health check, the status refresher and the cache
// writer until ctx ends.
func (r *Reloader) background(ctx context.Context) {
	refreshed := make(chan struct{})
	go func() { defer close(refreshed); r.refreshStatus(ctx) }()
	defer func() { <-refreshed }()
	done := make(chan struct{})
	if r.opts.Health != nil {
		go func() {
			defer close(done)
			r.health.run(ctx, r.opts.Health, r.opts.PingEvery, r.log, func() { signal(r.kick) })
		}()
	} else {
		close(done)
	}
	if r.opts.Cache != nil {
		r.writeCache(ctx)
	}
	<-done
}

// refreshStatus brings the status page and the dataset metrics up to date
// with patched changes, and has the cache written: after a patch, at most
// once per StatusEvery, it reads the dataset in one streaming pass (no
// snapshot is built from it), until ctx ends.
func (r *Reloader) refreshStatus(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.patched:
		}
		if err := r.statusPass(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("cannot read the dataset for the status page", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.opts.StatusEvery):
		}
	}
}

// writeCache writes the store's dataset to the cache when asked, at most
// once per CacheEvery, until ctx ends. It reads the store for it in one
// streaming pass of its own, so that what it writes is never held.
func (r *Reloader) writeCache(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.cacheDue:
		}
		start := time.Now()
		if err := r.saveCache(ctx, start); err != nil {
			if ctx.Err() == nil {
				r.log.Warn("cannot write the snapshot cache", "err", err)
			}
		} else {
			r.log.Debug("snapshot cache written", "path", r.opts.Cache.Path(), "duration_ms", time.Since(start).Milliseconds())
		}
		releaseMemory()
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.opts.CacheEvery):
		}
	}
}

// signal delivers a value on ch unless one is already pending.
func signal(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

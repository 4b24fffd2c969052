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
// touched more. What is built from a whole dataset besides the snapshot
// (the status page, the dataset metrics, the cache) catches up with patches
// by a load of its own, at most every StatusEvery. It keeps the last good
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
	// patched asks the status refresher for a load: patches were applied.
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
	// toCache holds the newest dataset the cache writer has not written.
	toCache  atomic.Pointer[store.Dataset]
	cacheDue chan struct{}
	now      func() time.Time
	// status is the public status page, built from each dataset loaded
	// here because the snapshot keeps neither freshness nor disabled mirrors.
	status status.Board
}

// ReloaderOptions configure StartReloader.
type ReloaderOptions struct {
	// Every is the safety reload's period.
	Every time.Duration
	// Cache, when set, is written after successful loads (at most once per
	// CacheEvery, default a minute) and served from when the first load
	// fails because the store is unavailable.
	Cache      *store.CacheFile
	CacheEvery time.Duration
	// Health, when set, is pinged every PingEvery (default 2 s), each ping
	// bounded by as long; a failed ping makes Status degraded at once.
	Health    Pinger
	PingEvery time.Duration
	// Metrics, when set, get each dataset loaded and each failure.
	Metrics *Metrics
	// StatusEvery (default 10 s) bounds how often patched changes make
	// the status page, the metrics and the cache load the dataset.
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
	d, saved, cerr := opts.Cache.Load()
	if cerr != nil {
		return nil, fmt.Errorf("%w; and the snapshot cache cannot be served: %w", err, cerr)
	}
	r.snap.Store(metalink.NewSnapshot(d, saved))
	r.cachedAt.Store(&saved)
	opts.Metrics.loaded(d, 0)
	opts.Stats.loaded(d)
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

// Reload builds a snapshot from the store and swaps it in.
func (r *Reloader) Reload(ctx context.Context) error {
	if r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.timeout)
		defer cancel()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	start := time.Now()
	// The change-log number is read first: the load includes at least
	// every change up to it, and patches are idempotent, so the next patch
	// may safely start there.
	seq, err := r.st.ChangeSeq(ctx)
	var d *store.Dataset
	if err == nil {
		d, err = r.st.Load(ctx)
	}
	if err == nil {
		err = d.Validate()
	}
	if err != nil {
		r.lastErr.Store(&err)
		r.opts.Metrics.reloadFailed()
		return err
	}
	snap := metalink.NewSnapshot(d, r.now())
	r.opts.Stats.loaded(d)
	r.status.SetPropagation(r.propagation(ctx, d))
	r.status.Update(d, snap)
	r.snap.Store(snap)
	r.seq = seq
	r.lastErr.Store(nil)
	r.cachedAt.Store(nil)
	// Tallied once the snapshot serves, so that the change is not delayed.
	r.opts.Metrics.loaded(d, time.Since(start))
	if r.opts.Cache != nil {
		r.toCache.Store(d)
		signal(r.cacheDue)
	}
	releaseMemory()
	return nil
}

// releaseMemory hands the memory of a loaded dataset, garbage once its
// snapshot and status page are built, back to the system at once rather
// than over minutes: loads are rare now that changes are patched in, and
// the resident size between them is the server's footprint.
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
	if r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.timeout)
		defer cancel()
	}
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

// refreshStatus brings the status page, the dataset metrics and the cache
// up to date with patched changes: after a patch, at most once per
// StatusEvery, it loads the dataset (no snapshot is built from it), until
// ctx ends.
func (r *Reloader) refreshStatus(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.patched:
		}
		d, err := r.loadWithTimeout(ctx)
		if err == nil {
			r.status.SetPropagation(r.propagation(ctx, d))
			r.status.Update(d, r.Snapshot())
			r.opts.Metrics.loaded(d, 0)
			if r.opts.Cache != nil {
				r.toCache.Store(d)
				signal(r.cacheDue)
			}
			d = nil
			releaseMemory()
		} else if ctx.Err() == nil {
			r.log.Warn("cannot load the dataset for the status page", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.opts.StatusEvery):
		}
	}
}

func (r *Reloader) loadWithTimeout(ctx context.Context) (*store.Dataset, error) {
	if r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.timeout)
		defer cancel()
	}
	return r.st.Load(ctx)
}

// writeCache saves the newest loaded dataset to the cache whenever there is
// one it has not written, at most once per CacheEvery, until ctx ends.
func (r *Reloader) writeCache(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.cacheDue:
		}
		d := r.toCache.Swap(nil)
		if d == nil {
			continue
		}
		start := time.Now()
		if err := r.opts.Cache.Save(d, start); err != nil {
			r.log.Warn("cannot write the snapshot cache", "err", err)
		} else {
			r.log.Debug("snapshot cache written", "path", r.opts.Cache.Path(), "duration_ms", time.Since(start).Milliseconds())
		}
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

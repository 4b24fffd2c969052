package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/metalinkd/metalinkd/metalink"
	"github.com/metalinkd/metalinkd/server/status"
	"github.com/metalinkd/metalinkd/store"
)

// Reloader keeps the current snapshot: it builds one from the store at
// start, rebuilds it when the store signals a change (debounced) and on a
// timer as a safety net, and keeps the last good one when a rebuild fails,
// so that the server goes on answering while the store is away. With a
// snapshot cache it can also start while the store is away; with a health
// check it notices a store that stopped answering before a reload does.
type Reloader struct {
	st       store.Store
	log      *slog.Logger
	opts     ReloaderOptions
	debounce time.Duration
	timeout  time.Duration
	snap     atomic.Pointer[metalink.Snapshot]
	lastErr  atomic.Pointer[error]
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
	r := &Reloader{st: st, log: log, opts: opts, debounce: 100 * time.Millisecond, timeout: reloadTimeout,
		kick: make(chan struct{}, 1), asked: make(chan struct{}, 1), cacheDue: make(chan struct{}, 1), now: time.Now}
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
	start := time.Now()
	d, err := r.st.Load(ctx)
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
	r.lastErr.Store(nil)
	r.cachedAt.Store(nil)
	// Tallied once the snapshot serves, so that the change is not delayed.
	r.opts.Metrics.loaded(d, time.Since(start))
	if r.opts.Cache != nil {
		r.toCache.Store(d)
		signal(r.cacheDue)
	}
	return nil
}

// Trigger asks Run to reload at once, without waiting for a change signal
// or the timer (metalinkd serve does on SIGHUP). Requests made while one is
// pending count as one.
func (r *Reloader) Trigger() { signal(r.asked) }

// Run reloads on change signals, Trigger, timer ticks and, while reloads
// fail, on retries with backoff, until ctx ends. It also runs the health
// check and the cache writer, when configured. A reload asked for with
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
		select {
		case <-ctx.Done():
			return
		case <-changes:
			reason = "change"
			// Let a burst of changes settle into one rebuild.
			select {
			case <-ctx.Done():
				return
			case <-time.After(r.debounce):
			}
		case <-tick.C:
		case <-r.asked:
			level, reason = slog.LevelInfo, "request"
		case <-r.kick:
			reason = "store back"
		case <-retry:
			reason = "retry"
			backoff = min(2*backoff, maxRetry)
		}
		start := time.Now()
		if err := r.Reload(ctx); err != nil {
			if ctx.Err() == nil {
				r.log.Warn("reload failed; serving the previous snapshot", "reason", reason, "err", err)
			}
			continue
		}
		backoff = minRetry
		r.log.Log(ctx, level, "snapshot reloaded", "reason", reason, "duration_ms", time.Since(start).Milliseconds(),
			"mirrors", r.Snapshot().MirrorCount())
	}
}

// background runs the health check and the cache writer until ctx ends.
func (r *Reloader) background(ctx context.Context) {
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

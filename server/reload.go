package server

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/metalinkd/metalinkd/metalink"
	"github.com/metalinkd/metalinkd/store"
)

// Reloader keeps the current snapshot: it builds one from the store at
// start, rebuilds it when the store signals a change (debounced) and on a
// timer as a safety net, and keeps the last good one when a rebuild fails,
// so that the server goes on answering while the store is away.
type Reloader struct {
	st       store.Store
	log      *slog.Logger
	debounce time.Duration
	every    time.Duration
	timeout  time.Duration
	snap     atomic.Pointer[metalink.Snapshot]
	lastErr  atomic.Pointer[error]
	now      func() time.Time
	// kick asks Run for a reload now (Trigger); it holds at most one request.
	kick chan struct{}
}

// reloadTimeout bounds one rebuild. A database that vanished without
// closing its connections (a crashed host, a partition) would otherwise
// hold a reload for as long as TCP retransmits, many minutes during which
// no reload is tried and /readyz reports nothing wrong.
const reloadTimeout = time.Minute

// NewReloader loads the first snapshot; it fails when that is impossible.
func NewReloader(ctx context.Context, st store.Store, log *slog.Logger, every time.Duration) (*Reloader, error) {
	r := &Reloader{st: st, log: log, debounce: 100 * time.Millisecond, every: every, timeout: reloadTimeout, now: time.Now,
		kick: make(chan struct{}, 1)}
	if err := r.Reload(ctx); err != nil {
		return nil, err
	}
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

// Err returns the error of the last reload, or nil when it succeeded.
func (r *Reloader) Err() error {
	if p := r.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

// Reload builds a snapshot from the store and swaps it in.
func (r *Reloader) Reload(ctx context.Context) error {
	if r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.timeout)
		defer cancel()
	}
	d, err := r.st.Load(ctx)
	if err == nil {
		err = d.Validate()
	}
	if err != nil {
		r.lastErr.Store(&err)
		return err
	}
	r.snap.Store(metalink.NewSnapshot(d, r.now()))
	r.lastErr.Store(nil)
	return nil
}

// Trigger asks Run to reload at once, without waiting for a change signal
// or the timer (metalinkd serve does on SIGHUP). Requests made while one is
// pending count as one.
func (r *Reloader) Trigger() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run reloads on change signals, Trigger and timer ticks until ctx ends.
// A reload asked for with Trigger is logged at info level, the others at
// debug level.
func (r *Reloader) Run(ctx context.Context) {
	changes := r.st.Changes(ctx)
	tick := time.NewTicker(r.every)
	defer tick.Stop()
	for {
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
		case <-r.kick:
			level, reason = slog.LevelInfo, "request"
		case <-tick.C:
		}
		start := time.Now()
		if err := r.Reload(ctx); err != nil {
			if ctx.Err() == nil {
				r.log.Warn("reload failed; serving the previous snapshot", "reason", reason, "err", err)
			}
			continue
		}
		r.log.Log(ctx, level, "snapshot reloaded", "reason", reason, "duration_ms", time.Since(start).Milliseconds(),
			"mirrors", r.Snapshot().MirrorCount())
	}
}

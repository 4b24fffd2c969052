package server

import (
	"context"
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
	// status is the public status page, built from each dataset loaded
	// here because the snapshot keeps neither freshness nor disabled mirrors.
	status status.Board
}

// reloadTimeout bounds one rebuild. A database that vanished without
// closing its connections (a crashed host, a partition) would otherwise
// hold a reload for as long as TCP retransmits, many minutes during which
// no reload is tried and /readyz reports nothing wrong.
const reloadTimeout = time.Minute

// NewReloader loads the first snapshot; it fails when that is impossible.
func NewReloader(ctx context.Context, st store.Store, log *slog.Logger, every time.Duration) (*Reloader, error) {
	r := &Reloader{st: st, log: log, debounce: 100 * time.Millisecond, every: every, timeout: reloadTimeout, now: time.Now}
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
	snap := metalink.NewSnapshot(d, r.now())
	r.status.Update(d, snap)
	r.snap.Store(snap)
	r.lastErr.Store(nil)
	return nil
}

// Run reloads on change signals and timer ticks until ctx ends.
func (r *Reloader) Run(ctx context.Context) {
	changes := r.st.Changes(ctx)
	tick := time.NewTicker(r.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changes:
			// Let a burst of changes settle into one rebuild.
			select {
			case <-ctx.Done():
				return
			case <-time.After(r.debounce):
			}
		case <-tick.C:
		}
		start := time.Now()
		if err := r.Reload(ctx); err != nil {
			if ctx.Err() == nil {
				r.log.Warn("reload failed; serving the previous snapshot", "err", err)
			}
			continue
		}
		r.log.Debug("snapshot reloaded", "duration_ms", time.Since(start).Milliseconds(),
			"mirrors", r.Snapshot().MirrorCount())
	}
}

package server

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/demo"
	"github.com/metalinkd/metalinkd/internal/testpeer"
	"github.com/metalinkd/metalinkd/store"
)

// silentStore answers Load from the demo data set until it is told to
// hang, as a database does whose host vanished without closing the
// connection: then Load returns only when its context ends.
type silentStore struct {
	store.Store
	changes chan struct{}
	hang    atomic.Bool
}

func (s *silentStore) Load(ctx context.Context) (*store.Dataset, error) {
	if s.hang.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return demo.Dataset(time.Now())
}

func (s *silentStore) Export(ctx context.Context, fn func(d *store.Dataset, rows store.FreshnessRows) error) error {
	d, err := s.Load(ctx)
	if err != nil {
		return err
	}
	return store.ExportDataset(d, fn)
}

func (s *silentStore) Changes(context.Context) <-chan struct{} { return s.changes }

// It keeps no change log: every change asks for a rebuild.
func (s *silentStore) ChangeSeq(context.Context) (int64, error) { return 0, nil }

func (s *silentStore) ChangesSince(_ context.Context, since int64) (*store.ChangeSet, error) {
	return &store.ChangeSet{Since: since, Full: true}, nil
}

// Propagation has no crawl to tell of; a reload reads it for the status page.
func (s *silentStore) Propagation(context.Context, string, time.Time) ([]store.PropagationPoint, error) {
	return nil, nil
}

// A reload that gets no answer gives up, so the replica reports degraded
// and goes on reloading instead of waiting on the store for ever.
func TestReloadGivesUpOnSilentStore(t *testing.T) {
	st := &silentStore{changes: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rl, err := NewReloader(ctx, st, slog.New(slog.DiscardHandler), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rl.timeout = 50 * time.Millisecond
	go rl.Run(ctx)

	st.hang.Store(true)
	st.changes <- struct{}{}
	testpeer.MustEventually(t, 10*time.Second, "the hanging reload to fail", func() bool { return rl.Err() != nil })

	st.hang.Store(false)
	st.changes <- struct{}{}
	testpeer.MustEventually(t, 10*time.Second, "a reload to succeed again", func() bool { return rl.Err() == nil })
}

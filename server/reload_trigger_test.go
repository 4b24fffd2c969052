package server

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/demo"
	"github.com/metalinkd/metalinkd/internal/testpeer"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// unsignalledStore never signals a change: only the timer or Trigger reloads.
type unsignalledStore struct{ store.Store }

func (unsignalledStore) Changes(ctx context.Context) <-chan struct{} { return nil }

// syncBuffer is a bytes.Buffer the reloader and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestTriggerReloadsAtOnce(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err := demo.Dataset(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := st.Restore(ctx, d); err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	rl, err := NewReloader(ctx, unsignalledStore{st}, slog.New(slog.NewTextHandler(&log, nil)), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { rl.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	before := rl.Snapshot().MirrorCount()
	if err := st.DeleteMirror(store.WithActor(ctx, "test"), d.Mirrors[0].Name); err != nil {
		t.Fatal(err)
	}
	rl.Trigger()
	testpeer.MustEventually(t, 10*time.Second, "the triggered reload", func() bool {
		return rl.Snapshot().MirrorCount() == before-1
	})
	testpeer.MustEventually(t, 10*time.Second, "the reload's info line", func() bool {
		return strings.Contains(log.String(), `level=INFO msg="snapshot reloaded" reason=request`)
	})
}

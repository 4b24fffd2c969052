package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// signalWait bounds how long a change may take to be signalled. It is a
// timeout for a test that fails, not a measure of speed.
const signalWait = 30 * time.Second

func waitSignal(t *testing.T, ch <-chan struct{}, after string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("Changes channel closed; waiting for the signal after %s", after)
		}
	case <-time.After(signalWait):
		t.Fatalf("no change signalled within %v after %s", signalWait, after)
	}
}

// A change committed after Changes returns is signalled.
func testChanges(t *testing.T, s store.Store) {
	ch := s.Changes(ctx(t))
	must(t, "CreateLocation", s.CreateLocation(ctx(t), store.Location{Name: "us-east-1"}))
	waitSignal(t, ch, "CreateLocation")

	// And so is the next one, of another kind.
	drain(ch)
	recordScan(t, s, at(0), scanned(dirOS, "a", at(0)))
	waitSignal(t, ch, "RecordScan")
}

// A subscriber that does not read does not hold writers up: signals are
// coalesced, and one is pending once it reads again.
func testChangesCoalesce(t *testing.T, s store.Store) {
	c, cancel := context.WithCancel(ctx(t))
	ch := s.Changes(c)
	for i := range 20 {
		must(t, "CreateLocation", s.CreateLocation(ctx(t), store.Location{Name: fmt.Sprintf("loc-%d", i)}))
	}
	waitSignal(t, ch, "20 changes")
	// A subscription whose context ended must not hold the store up either.
	cancel()
	must(t, "CreateLocation", s.CreateLocation(ctx(t), store.Location{Name: "loc-last"}))
}

// drain empties ch of pending signals without waiting.
func drain(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

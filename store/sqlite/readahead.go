package sqlite

import (
	"context"
	"database/sql"

	"github.com/metalinkd/metalinkd/store"
)

// readAheadBatch is how many freshness rows one batch of eachFreshnessAhead
// holds: about 0.5 MB, with three batches in all.
const readAheadBatch = 4096

// eachFreshnessAhead calls yield with every freshness row, in the order of
// eachFreshness, reading them in a goroutine of its own a few batches ahead
// of yield. At a large network's half a million rows, reading through the
// driver is most of what a cold start costs, and what yield does with the
// rows (the snapshot's build) is most of the rest: on two cores the two now
// overlap. Only the goroutine uses tx until this returns.
func eachFreshnessAhead(ctx context.Context, tx *sql.Tx, yield func(store.Freshness) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	full := make(chan []store.Freshness, 2)
	free := make(chan []store.Freshness, 3)
	for range cap(free) {
		free <- make([]store.Freshness, 0, readAheadBatch)
	}
	var readErr error // set before full is closed
	go func() {
		defer close(full)
		b := <-free
		send := func() error {
			select {
			case full <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case b = <-free:
				return nil
			case <-ctx.Done(): // yield failed and keeps its batch
				return ctx.Err()
			}
		}
		readErr = eachFreshness(ctx, tx, "", "", func(f store.Freshness) error {
			b = append(b, f)
			if len(b) < readAheadBatch {
				return nil
			}
			return send()
		})
		if readErr == nil && len(b) > 0 {
			readErr = send()
		}
	}()
	for b := range full {
		for _, f := range b {
			if err := yield(f); err != nil {
				cancel()
				for range full { // until the goroutine is done with tx
				}
				return err
			}
		}
		clear(b) // the strings it held go with the rows yield kept
		free <- b[:0]
	}
	return readErr
}

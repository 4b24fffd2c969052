package postgres

import (
	"context"
	"time"
)

// Timeouts bound the calls to the database. A call whose context has an
// earlier deadline keeps it; one without a deadline (an HTTP request, a
// background reload) gets these, so that a database that stopped answering
// without closing its connections (frozen, partitioned) fails the call
// instead of holding it for as long as TCP keeps the connection.
type Timeouts struct {
	// Read bounds a read of one entity or a short list.
	Read time.Duration `json:"read"`
	// Write bounds one change, including the wait for the write lock.
	Write time.Duration `json:"write"`
	// Bulk bounds the calls that move the whole dataset or a large part
	// of it: Load, Import, Restore, RecordScan, ReplaceCloudRanges and the
	// listings of directories and freshness.
	Bulk time.Duration `json:"bulk"`
	// Connect bounds opening one connection, when the URL sets no
	// connect_timeout.
	Connect time.Duration `json:"connect"`
}

// DefaultTimeouts are the timeouts of a store opened without WithTimeouts.
// Bulk is generous for the commands (an import at scale); a server passes
// its own, shorter one.
var DefaultTimeouts = Timeouts{Read: 5 * time.Second, Write: 10 * time.Second, Bulk: 5 * time.Minute, Connect: 5 * time.Second}

// WithTimeouts sets the per-call timeouts; a zero field keeps its default.
func WithTimeouts(t Timeouts) Option {
	return func(s *Store) {
		for _, f := range []struct{ to, from *time.Duration }{
			{&s.timeouts.Read, &t.Read}, {&s.timeouts.Write, &t.Write},
			{&s.timeouts.Bulk, &t.Bulk}, {&s.timeouts.Connect, &t.Connect},
		} {
			if *f.from > 0 {
				*f.to = *f.from
			}
		}
	}
}

// bound replaces *ctx with a context that ends after d at the latest and
// returns its cancel function, so that a method starts with
//
//	defer s.bound(&ctx, s.timeouts.Read)()
//
// and every statement it runs, closures included, shares the deadline.
func (s *Store) bound(ctx *context.Context, d time.Duration) context.CancelFunc {
	var cancel context.CancelFunc
	*ctx, cancel = context.WithTimeout(*ctx, d)
	return cancel
}

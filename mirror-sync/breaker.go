package mirrorsync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"syscall"

	"github.com/aws/smithy-go/middleware"
)

// errBreaker marks a request not sent because the region's endpoint failed
// too many times in a row.
var errBreaker = errors.New("connection breaker open")

// breaker stops a region's requests after limit consecutive connection
// failures (refused, reset, timed out): a dead or unreachable endpoint then
// costs a few attempts, not thousands of retried PUTs.
type breaker struct {
	limit int
	mu    sync.Mutex
	fails int
	last  error // the failure that opened it
	open  bool
}

// tripped returns the error that opened the breaker, nil while closed.
func (b *breaker) tripped() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return nil
	}
	return &breakerError{msg: fmt.Sprintf("stopped after %d consecutive connection failures (the last: %v)", b.fails, b.last)}
}

// breakerError is what an open breaker answers; the SDK does not retry it.
type breakerError struct{ msg string }

func (e *breakerError) Error() string        { return e.msg }
func (e *breakerError) Is(target error) bool { return target == errBreaker }
func (e *breakerError) RetryableError() bool { return false }

// observe counts one attempt's outcome.
func (b *breaker) observe(ctx context.Context, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case err == nil || !connectionFailure(err):
		if ctx.Err() == nil {
			b.fails = 0
		}
	case ctx.Err() == nil:
		b.fails++
		b.last = shortCause(err)
		if b.limit > 0 && b.fails >= b.limit {
			b.open = true
		}
	}
}

// middleware sits in the deserialize step, which runs once per attempt,
// ahead of the request counter: an open breaker answers without sending,
// and the counter counts only what was sent.
func (b *breaker) middleware(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("MirrorSyncBreaker",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			if err := b.tripped(); err != nil {
				return middleware.DeserializeOutput{}, middleware.Metadata{}, err
			}
			out, md, err := next.HandleDeserialize(ctx, in)
			b.observe(ctx, err)
			return out, md, err
		}), middleware.Before)
}

// shortCause is the network error inside an SDK error, without the SDK's
// wrapping.
func shortCause(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return op
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// connectionFailure reports whether err is a refused, reset or timed-out
// connection rather than an answer.
func connectionFailure(err error) bool {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	case errors.As(err, &ne) && ne.Timeout():
		return true
	}
	var op *net.OpError
	return errors.As(err, &op)
}

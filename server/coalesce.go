package server

import (
	"context"
	"net"
	"net/http"
	"sync"
)

// Coalescing an answer's writes. net/http writes a response through a
// 4 KB buffer: an answer larger than that leaves in two writes, the
// buffer (the headers and the body's start) and then the rest of the body,
// so two system calls, two TCP segments and, as often as not, two wake-ups
// of the client. While a connection holds an answer (hold), it keeps the
// first write back and sends it with the next in one writev; release sends
// whatever is still kept. Only one write is ever kept, and only until the
// next write or the release that follows the answer's write.

// maxHeld is the largest write kept back: net/http's buffer.
const maxHeld = 4 << 10

// heldBufs recycles the buffers of writes kept back.
var heldBufs = sync.Pool{New: func() any { b := make([]byte, 0, maxHeld); return &b }}

// Write writes p, or keeps it back while the connection holds an answer.
func (c *limitedConn) Write(p []byte) (int, error) {
	if c.held == nil {
		return c.Conn.Write(p)
	}
	kept := len(*c.held)
	if kept == 0 {
		if len(p) <= maxHeld {
			*c.held = append(*c.held, p...)
			return len(p), nil
		}
		c.releaseHeld()
		return c.Conn.Write(p)
	}
	c.vec = [2][]byte{*c.held, p}
	c.bufs = c.vec[:]
	n, err := c.bufs.WriteTo(c.Conn) // writev on a TCP connection
	c.vec, c.bufs = [2][]byte{}, nil
	c.releaseHeld()
	if n < int64(kept) {
		return 0, err
	}
	return int(n) - kept, err
}

// hold starts keeping writes back.
func (c *limitedConn) hold() {
	if c.held == nil {
		c.held = heldBufs.Get().(*[]byte)
	}
}

// release sends what is kept back and stops keeping writes.
func (c *limitedConn) release() error {
	if c.held == nil {
		return nil
	}
	var err error
	if len(*c.held) > 0 {
		_, err = c.Conn.Write(*c.held)
	}
	c.releaseHeld()
	return err
}

func (c *limitedConn) releaseHeld() {
	*c.held = (*c.held)[:0]
	heldBufs.Put(c.held)
	c.held = nil
}

type connKey struct{}

// ConnContext is the http.Server hook that lets handlers reach their
// connection.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if lc, ok := c.(*limitedConn); ok {
		return context.WithValue(ctx, connKey{}, lc)
	}
	return ctx
}

// holdMin is the smallest body worth holding: net/http buffers a smaller
// one whole, with the headers, and writes them at once anyway.
const holdMin = 2 << 10

// writeHeld writes body through w with the connection holding its writes,
// so that an answer larger than net/http's buffer leaves in one writev. It
// is a plain write on a connection that is not a ConnLimiter's.
func writeHeld(w http.ResponseWriter, r *http.Request, body []byte) {
	lc, _ := r.Context().Value(connKey{}).(*limitedConn)
	if lc == nil || len(body) < holdMin {
		w.Write(body)
		return
	}
	lc.hold()
	if _, err := w.Write(body); err == nil {
		// The end of the body that net/http still buffers leaves now,
		// with the write held back (a body of 4 to 8 KB).
		if f, ok := w.(interface{ FlushError() error }); ok {
			f.FlushError()
		}
	}
	if err := lc.release(); err != nil {
		if sw, ok := w.(*statusWriter); ok {
			sw.gone = true
		}
	}
}

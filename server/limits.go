package server

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// ConnLimits bound the connections clients may hold open.
type ConnLimits struct {
	// Max is the most connections open at once. A connection beyond it
	// takes the place of the one idle longest (connected without a request
	// yet, or waiting between requests); when none is idle it is answered
	// 503 and closed at once.
	Max int
	// PerClient is the most connections one peer address may hold open;
	// beyond it a connection is answered 429 and closed. 0 means no limit.
	// Behind a proxy every connection comes from the proxy: leave it off.
	PerClient int
	// IdleTimeout closes a connection that has waited this long for a
	// request: kept alive after an answer, or connected without one yet.
	// 0 means never.
	IdleTimeout time.Duration
	// WriteTimeout closes a connection whose request has been in progress
	// this long, counted from the end of its headers as http.Server counts
	// its WriteTimeout: a client that does not read its answer is cut off.
	// 0 means never.
	WriteTimeout time.Duration
}

// The limiter enforces IdleTimeout and WriteTimeout itself, in place of
// http.Server's timeouts of the same names: those set and clear a
// deadline on the socket around every request, each a change to the
// runtime's timer heap, and cost a request of a small answer about a
// tenth of its time. The limiter already learns of every connection's
// state changes, keeps the connections of each state in the order they
// entered it, and closes the expired ones from the front of each list on a
// tick: a connection is closed between its timeout and one tick later.

// ConnLimiter is a listener that applies ConnLimits. Its ConnState method
// must be the http.Server's ConnState hook: it tells which connections
// are idle and may be shed for new ones.
type ConnLimiter struct {
	net.Listener
	limits ConnLimits
	log    *slog.Logger

	mu   sync.Mutex
	open int
	// idle lists the connections waiting for a request, busy those with a
	// request in progress, each in the order they entered that state.
	idle, busy connList
	perClient  map[netip.Addr]int
	shed       uint64 // idle connections closed for new ones
	// idleClosed and writeTimedOut count the connections closed at
	// IdleTimeout and at WriteTimeout.
	idleClosed, writeTimedOut uint64
	refused                   uint64 // connections refused
	// refusedPerClient counts the refusals at the per-client limit.
	refusedPerClient uint64
	warned           time.Time
	// lingering bounds the refused connections still being answered.
	lingering chan struct{}
	// epoch is the origin of the connections' since times; done stops
	// the sweep of expired connections when the listener is closed.
	epoch    time.Time
	done     chan struct{}
	stopOnce sync.Once
}

// limitedConn is an accepted connection; its fields other than Conn are
// guarded by the limiter's mutex.
type limitedConn struct {
	net.Conn
	l      *ConnLimiter
	client netip.Addr
	// prev and next link the connection into the list on, the idle or
	// the busy list, which it entered at since (from the limiter's epoch).
	prev, next *limitedConn
	on         *connList
	since      time.Duration
	released   bool // no longer counted as open
	// held is the write kept back while the connection holds an answer;
	// vec and bufs list it with the next for writev. Only the
	// connection's own goroutine uses them (see coalesce.go).
	held *[]byte
	vec  [2][]byte
	bufs net.Buffers
}

// connList lists connections, the one that entered it first at the front.
// The links are the connections' own, so that a connection changing state
// around each request allocates nothing.
type connList struct {
	front, back *limitedConn
	n           int
}

// pushBack adds lc, which is in no list, at the back.
func (q *connList) pushBack(lc *limitedConn) {
	lc.prev, lc.next, lc.on = q.back, nil, q
	if q.back != nil {
		q.back.next = lc
	} else {
		q.front = lc
	}
	q.back = lc
	q.n++
}

// remove takes out lc, which is in q.
func (q *connList) remove(lc *limitedConn) {
	if lc.prev != nil {
		lc.prev.next = lc.next
	} else {
		q.front = lc.next
	}
	if lc.next != nil {
		lc.next.prev = lc.prev
	} else {
		q.back = lc.prev
	}
	lc.prev, lc.next, lc.on = nil, nil, nil
	q.n--
}

// NewConnLimiter wraps ln; limits.Max below 1 is taken as 1. With a
// timeout set, it sweeps expired connections until Close.
func NewConnLimiter(ln net.Listener, limits ConnLimits, log *slog.Logger) *ConnLimiter {
	limits.Max = max(limits.Max, 1)
	l := &ConnLimiter{Listener: ln, limits: limits, log: log, perClient: map[netip.Addr]int{},
		lingering: make(chan struct{}, maxLingering), epoch: time.Now(), done: make(chan struct{})}
	if tick := sweepTick(limits); tick > 0 {
		go l.sweepEvery(tick)
	}
	return l
}

// sweepTick is how often expired connections are looked for: a tenth of
// the shorter timeout, between 10 ms and a second; 0 when neither is set.
func sweepTick(limits ConnLimits) time.Duration {
	shortest := time.Duration(0)
	for _, d := range []time.Duration{limits.IdleTimeout, limits.WriteTimeout} {
		if d > 0 && (shortest == 0 || d < shortest) {
			shortest = d
		}
	}
	if shortest == 0 {
		return 0
	}
	return min(max(shortest/10, 10*time.Millisecond), time.Second)
}

// Close stops the sweep and closes the listener.
func (l *ConnLimiter) Close() error {
	l.stopOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// sweepEvery closes expired connections every tick until Close.
func (l *ConnLimiter) sweepEvery(tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-t.C:
			l.sweep()
		}
	}
}

// sweep closes the connections idle for IdleTimeout or busy for
// WriteTimeout. Each list is in the order its connections entered it, so
// the expired ones are at its front.
func (l *ConnLimiter) sweep() {
	var victims []*limitedConn
	l.mu.Lock()
	now := time.Since(l.epoch)
	victims = l.expiredLocked(&l.idle, l.limits.IdleTimeout, now, victims, &l.idleClosed)
	victims = l.expiredLocked(&l.busy, l.limits.WriteTimeout, now, victims, &l.writeTimedOut)
	l.mu.Unlock()
	// net/http sees its read or write fail and ends the connection, as at
	// its own deadlines.
	for _, lc := range victims {
		lc.Conn.Close()
	}
}

// expiredLocked releases the connections of q that entered it timeout or
// more before now, appends them to victims and counts them in *n.
func (l *ConnLimiter) expiredLocked(q *connList, timeout, now time.Duration, victims []*limitedConn, n *uint64) []*limitedConn {
	if timeout <= 0 {
		return victims
	}
	for lc := q.front; lc != nil && now-lc.since >= timeout; lc = q.front {
		l.releaseLocked(lc)
		victims = append(victims, lc)
		*n++
	}
	return victims
}

// Refusals of a connection, written before it is closed.
const (
	unavailable = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\nRetry-After: 1\r\n\r\n"
	tooMany     = "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\nConnection: close\r\nRetry-After: 1\r\n\r\n"
)

// Accept returns the next connection within the limits. It refuses or
// sheds connections itself and never waits for room, so that a flood is
// turned away as fast as it arrives.
func (l *ConnLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		lc, victim, refusal := l.admit(c)
		if victim != nil {
			victim.Conn.Close()
		}
		if lc != nil {
			return lc, nil
		}
		l.refuse(c, refusal)
	}
}

// maxLingering is how many refused connections may be answered at once;
// beyond it they are closed without an answer.
const maxLingering = 64

// refuse answers a refused connection and closes it. The request it may
// have sent is read and dropped first, for up to a second: closing a
// socket with unread data resets it, and the reset can destroy the answer
// before the client reads it.
func (l *ConnLimiter) refuse(c net.Conn, answer string) {
	select {
	case l.lingering <- struct{}{}:
	default:
		c.Close()
		return
	}
	go func() {
		defer func() { <-l.lingering }()
		c.SetDeadline(time.Now().Add(time.Second))
		io.WriteString(c, answer)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		io.Copy(io.Discard, io.LimitReader(c, 64<<10))
		c.Close()
	}()
}

// admit counts c in, possibly in place of the longest idle connection,
// which it returns to be closed; or it returns the refusal to send.
func (l *ConnLimiter) admit(c net.Conn) (lc, victim *limitedConn, refusal string) {
	client := peerAddr(c.RemoteAddr().String())
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limits.PerClient > 0 && l.perClient[client] >= l.limits.PerClient {
		l.refusedPerClient++
		l.refusedLocked("per-client connection limit reached")
		return nil, nil, tooMany
	}
	if l.open >= l.limits.Max {
		victim = l.idle.front
		if victim == nil {
			l.refusedLocked("connection limit reached with every connection busy")
			return nil, nil, unavailable
		}
		l.releaseLocked(victim)
		l.shed++
	}
	lc = &limitedConn{Conn: c, l: l, client: client}
	l.open++
	if l.limits.PerClient > 0 {
		l.perClient[client]++
	}
	return lc, victim, ""
}

// refusedLocked counts a refusal and logs, at most every ten seconds, that
// connections are being refused.
func (l *ConnLimiter) refusedLocked(why string) {
	l.refused++
	if now := time.Now(); now.Sub(l.warned) >= 10*time.Second {
		l.warned = now
		l.log.Warn("refusing connections", "reason", why, "open", l.open, "max", l.limits.Max,
			"per_client", l.limits.PerClient, "refused_total", l.refused, "shed_total", l.shed)
	}
}

// releaseLocked stops counting lc as open; it is safe to call twice.
func (l *ConnLimiter) releaseLocked(lc *limitedConn) {
	if lc.on != nil {
		lc.on.remove(lc)
	}
	if lc.released {
		return
	}
	lc.released = true
	l.open--
	if l.limits.PerClient > 0 {
		if n := l.perClient[lc.client] - 1; n > 0 {
			l.perClient[lc.client] = n
		} else {
			delete(l.perClient, lc.client)
		}
	}
}

// Close closes the connection and stops counting it.
func (c *limitedConn) Close() error {
	c.l.mu.Lock()
	c.l.releaseLocked(c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}

// CloseWrite half-closes the connection: net/http does so before closing
// after an error, so that the client reads the answer before any reset.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ConnState is the http.Server hook that tracks which connections are idle
// (new ones until their first request is read, and kept-alive ones between
// requests) and which are busy with a request.
func (l *ConnLimiter) ConnState(c net.Conn, state http.ConnState) {
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	var to *connList
	switch state {
	case http.StateNew, http.StateIdle:
		to = &l.idle
	case http.StateActive:
		to = &l.busy
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if lc.released {
		// Shed or timed out: no longer listed.
		return
	}
	if lc.on != nil {
		lc.on.remove(lc)
	}
	if to != nil {
		lc.since = time.Since(l.epoch)
		to.pushBack(lc)
	}
}

// ConnStats are a limiter's counters.
type ConnStats struct {
	Open, Idle    int
	Shed, Refused uint64
	// RefusedPerClient is the part of Refused at the per-client limit.
	RefusedPerClient uint64
	// IdleClosed and WriteTimedOut count the connections closed at
	// IdleTimeout and at WriteTimeout.
	IdleClosed, WriteTimedOut uint64
}

// Stats returns the limiter's counters.
func (l *ConnLimiter) Stats() ConnStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return ConnStats{Open: l.open, Idle: l.idle.n, Shed: l.shed, Refused: l.refused, RefusedPerClient: l.refusedPerClient,
		IdleClosed: l.idleClosed, WriteTimedOut: l.writeTimedOut}
}

// LimitBody bounds every request body to n bytes: reading past it fails
// and the connection is closed after the answer. With readTimeout above
// 0, a body must have arrived readTimeout after its headers, or reading it
// fails and the connection is closed. The deadline is set only on requests
// that have a body (http.Server's ReadTimeout would set it on every
// request), so that the answers, which have none, pay nothing for it.
func LimitBody(h http.Handler, n int64, readTimeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hasBody := r.Body != nil && r.Body != http.NoBody
		if hasBody && readTimeout > 0 {
			// net/http clears it before the connection's next request.
			http.NewResponseController(w).SetReadDeadline(time.Now().Add(readTimeout))
		}
		if r.ContentLength > n {
			http.Error(w, http.StatusText(http.StatusRequestEntityTooLarge), http.StatusRequestEntityTooLarge)
			return
		}
		if hasBody {
			r.Body = http.MaxBytesReader(w, r.Body, n)
		}
		h.ServeHTTP(w, r)
	})
}

// MaxDefaultConns caps DefaultMaxConns: each open connection costs about
// 10 KB of memory (its goroutine and buffers) besides its descriptor.
const MaxDefaultConns = 50_000

// fallbackMaxConns is 80% of the usual soft limit of 1024 descriptors.
const fallbackMaxConns = 819

package admin

import (
	"container/list"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// FailureBudget bounds how many bad tokens one client may send: after
// Failures of them within Window, its requests get 429 with Retry-After
// until the window ends, without any token lookup. Clients are told apart
// by address, IPv6 ones by their /64.
type FailureBudget struct {
	Failures int
	Window   time.Duration
	// MaxClients bounds the memory the budget takes: beyond it, the client
	// whose last failure is the oldest is forgotten.
	MaxClients int
}

// DefaultFailureBudget is 10 bad tokens a minute per client, tracked for
// up to 10,000 clients (about a megabyte).
var DefaultFailureBudget = FailureBudget{Failures: 10, Window: time.Minute, MaxClients: 10_000}

// failures is the state of a FailureBudget: an LRU list of clients with
// their current window, newest failure at the front.
type failures struct {
	budget FailureBudget
	mu     sync.Mutex
	lru    *list.List // of *clientFailures
	byAddr map[netip.Addr]*list.Element
}

type clientFailures struct {
	addr  netip.Addr
	start time.Time // of the client's current window
	count int
}

func newFailures(b FailureBudget) *failures {
	return &failures{budget: b, lru: list.New(), byAddr: map[netip.Addr]*list.Element{}}
}

// blocked returns how long client must wait before its next try, or 0
// when it may try now.
func (f *failures) blocked(client netip.Addr, now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	el, ok := f.byAddr[client]
	if !ok {
		return 0
	}
	c := el.Value.(*clientFailures)
	end := c.start.Add(f.budget.Window)
	if c.count < f.budget.Failures || !now.Before(end) {
		return 0
	}
	return end.Sub(now)
}

// fail records a bad token from client.
func (f *failures) fail(client netip.Addr, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if el, ok := f.byAddr[client]; ok {
		c := el.Value.(*clientFailures)
		if !now.Before(c.start.Add(f.budget.Window)) {
			c.start, c.count = now, 0
		}
		c.count++
		f.lru.MoveToFront(el)
		return
	}
	for f.lru.Len() >= max(f.budget.MaxClients, 1) {
		oldest := f.lru.Back()
		delete(f.byAddr, oldest.Value.(*clientFailures).addr)
		f.lru.Remove(oldest)
	}
	f.byAddr[client] = f.lru.PushFront(&clientFailures{addr: client, start: now, count: 1})
}

// peerAddr returns the address of the peer of r (r.RemoteAddr); the zero
// Addr, which all such peers share, when it does not parse.
func peerAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a
}

// clientKey is the address a budget is kept for: IPv6 addresses are cut to
// their /64, which one host usually holds whole.
func clientKey(a netip.Addr) netip.Addr {
	a = a.Unmap().WithZone("")
	if a.Is6() {
		a = netip.PrefixFrom(a, 64).Masked().Addr()
	}
	return a
}

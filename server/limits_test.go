package server

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// limitedServer serves h on 127.0.0.1 behind a ConnLimiter, as serve does.
func limitedServer(t *testing.T, limits ConnLimits, h http.Handler) (*ConnLimiter, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lim := NewConnLimiter(ln, limits, slog.New(slog.DiscardHandler))
	srv := &http.Server{Handler: h, ConnState: lim.ConnState, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(lim)
	t.Cleanup(func() { srv.Close() })
	return lim, ln.Addr().String()
}

// dialFrom connects to addr from the loopback address src.
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// statusLine sends one request on c and returns the answer's status line.
func statusLine(t *testing.T, c net.Conn) string {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "GET /x HTTP/1.1\r\nHost: test\r\n\r\n")
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "error: " + err.Error()
	}
	return strings.TrimSpace(line)
}

func ok(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }

// TestConnLimiterShedsIdleConnections checks that at the limit a new
// connection replaces the one idle longest, and is served.
func TestConnLimiterShedsIdleConnections(t *testing.T) {
	lim, addr := limitedServer(t, ConnLimits{Max: 3}, http.HandlerFunc(ok))
	var idle []net.Conn
	for range 3 {
		idle = append(idle, dialFrom(t, "127.0.0.1", addr))
	}
	testpeer.MustEventually(t, 10*time.Second, "three idle connections", func() bool { return lim.Stats().Idle == 3 })
	if got := statusLine(t, dialFrom(t, "127.0.0.1", addr)); got != "HTTP/1.1 200 OK" {
		t.Fatalf("new connection at the limit: %q, want 200", got)
	}
	idle[0].SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := idle[0].Read(make([]byte, 1)); err == nil {
		t.Error("the longest idle connection was not closed")
	}
	if s := lim.Stats(); s.Open > 3 || s.Shed != 1 {
		t.Errorf("stats %+v, want at most 3 open and 1 shed", s)
	}
}

// TestConnLimiterRefusesWhenAllBusy checks the 503 when every connection
// has a request in progress.
func TestConnLimiterRefusesWhenAllBusy(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	lim, addr := limitedServer(t, ConnLimits{Max: 2}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-release
	}))
	defer close(release)
	for range 2 {
		c := dialFrom(t, "127.0.0.1", addr)
		io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
		<-started
	}
	if got := statusLine(t, dialFrom(t, "127.0.0.1", addr)); got != "HTTP/1.1 503 Service Unavailable" {
		t.Errorf("connection over the limit, all busy: %q, want 503", got)
	}
	if s := lim.Stats(); s.Open != 2 || s.Refused != 1 {
		t.Errorf("stats %+v, want 2 open and 1 refused", s)
	}
}

// TestConnLimiterPerClient checks the per-address limit: one address is
// refused beyond it, another is still served, and a closed connection
// frees its place.
func TestConnLimiterPerClient(t *testing.T) {
	lim, addr := limitedServer(t, ConnLimits{Max: 100, PerClient: 2}, http.HandlerFunc(ok))
	first := dialFrom(t, "127.0.0.1", addr)
	dialFrom(t, "127.0.0.1", addr)
	if got := statusLine(t, dialFrom(t, "127.0.0.1", addr)); got != "HTTP/1.1 429 Too Many Requests" {
		t.Errorf("third connection from one address: %q, want 429", got)
	}
	if got := statusLine(t, dialFrom(t, "127.0.0.2", addr)); got != "HTTP/1.1 200 OK" {
		t.Errorf("another address: %q, want 200", got)
	}
	first.Close()
	testpeer.MustEventually(t, 10*time.Second, "the closed connection released", func() bool { return lim.Stats().Open == 2 })
	if got := statusLine(t, dialFrom(t, "127.0.0.1", addr)); got != "HTTP/1.1 200 OK" {
		t.Errorf("after a close: %q, want 200", got)
	}
}

// TestLimitBody checks the 413 for a declared body over the bound and the
// failed read of a chunked one.
func TestLimitBody(t *testing.T) {
	h := LimitBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		}
	}), 10)
	_, addr := limitedServer(t, ConnLimits{Max: 10}, h)
	ctx := context.Background()
	for _, c := range []struct {
		body   io.Reader
		length int64
		want   int
	}{
		{strings.NewReader("short"), 5, 200},
		{strings.NewReader(strings.Repeat("x", 11)), 11, 413},
		{io.MultiReader(strings.NewReader(strings.Repeat("x", 20))), -1, 413},
	} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/", c.body)
		req.ContentLength = c.length
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("body of %d bytes: %d, want %d", c.length, resp.StatusCode, c.want)
		}
	}
}

// TestIdleList checks the idle list's order through removals from its
// front, middle and back.
func TestIdleList(t *testing.T) {
	var q idleList
	c := make([]*limitedConn, 5)
	for i := range c {
		c[i] = &limitedConn{}
		q.pushBack(c[i])
	}
	order := func() []int {
		var got []int
		for lc := q.front; lc != nil; lc = lc.next {
			got = append(got, slices.Index(c, lc))
		}
		for lc, i := q.back, len(got)-1; lc != nil; lc, i = lc.prev, i-1 {
			if i < 0 || slices.Index(c, lc) != got[i] {
				t.Fatalf("backward walk disagrees with forward walk %v", got)
			}
		}
		return got
	}
	for _, step := range []struct {
		remove int
		want   []int
	}{{2, []int{0, 1, 3, 4}}, {0, []int{1, 3, 4}}, {4, []int{1, 3}}, {1, []int{3}}, {3, nil}} {
		q.remove(c[step.remove])
		if got := order(); !slices.Equal(got, step.want) || q.n != len(step.want) || c[step.remove].isIdle {
			t.Fatalf("after removing %d: %v (n %d), want %v", step.remove, got, q.n, step.want)
		}
	}
	q.pushBack(c[2])
	q.pushBack(c[0])
	if got := order(); !slices.Equal(got, []int{2, 0}) || !c[0].isIdle {
		t.Fatalf("after pushing 2 and 0: %v, want [2 0]", got)
	}
}

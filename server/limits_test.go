package server

import (
	"bufio"
	"context"
	"fmt"
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
	return limitedServerOn(t, ln, limits, h), ln.Addr().String()
}

// limitedServerOn serves h on ln behind a ConnLimiter, with the limiter's
// hooks as serve sets them.
func limitedServerOn(t *testing.T, ln net.Listener, limits ConnLimits, h http.Handler) *ConnLimiter {
	t.Helper()
	lim := NewConnLimiter(ln, limits, slog.New(slog.DiscardHandler))
	srv := &http.Server{Handler: h, ConnState: lim.ConnState, ConnContext: ConnContext, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(lim)
	t.Cleanup(func() { srv.Close() })
	return lim
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
	}), 10, time.Minute)
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

// TestConnList checks a connection list's order through removals from
// its front, middle and back.
func TestConnList(t *testing.T) {
	var q connList
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
		if got := order(); !slices.Equal(got, step.want) || q.n != len(step.want) || c[step.remove].on != nil {
			t.Fatalf("after removing %d: %v (n %d), want %v", step.remove, got, q.n, step.want)
		}
	}
	q.pushBack(c[2])
	q.pushBack(c[0])
	if got := order(); !slices.Equal(got, []int{2, 0}) || c[0].on != &q {
		t.Fatalf("after pushing 2 and 0: %v, want [2 0]", got)
	}
}

// TestConnLimiterIdleTimeout checks that a kept-alive connection is closed
// once it has waited IdleTimeout for a request, and that each request
// starts its wait afresh.
func TestConnLimiterIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	lim, addr := limitedServer(t, ConnLimits{Max: 10, IdleTimeout: idle}, http.HandlerFunc(ok))
	busy := dialFrom(t, "127.0.0.1", addr)
	br := bufio.NewReader(busy)
	for i := range 8 { // 8 requests idle/2 apart: 4 idle timeouts in all
		if line := statusLineOn(t, busy, br); line != "HTTP/1.1 200 OK" {
			t.Fatalf("request %d on the busy connection: %q", i, line)
		}
		time.Sleep(idle / 2)
	}
	if s := lim.Stats(); s.IdleClosed != 0 {
		t.Fatalf("%d connections closed for idleness while one made a request every %v", s.IdleClosed, idle/2)
	}
	busy.Close()
	testpeer.MustEventually(t, 10*time.Second, "the busy connection closed", func() bool { return lim.Stats().Open == 0 })
	quiet := dialFrom(t, "127.0.0.1", addr)
	qr := bufio.NewReader(quiet)
	if line := statusLineOn(t, quiet, qr); line != "HTTP/1.1 200 OK" {
		t.Fatalf("first request: %q", line)
	}
	start := time.Now()
	quiet.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := qr.ReadByte(); err == nil {
		t.Fatal("the idle connection received data instead of being closed")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the idle connection was still open after 10s")
	}
	if waited := time.Since(start); waited < idle/2 {
		t.Errorf("the idle connection was closed after %v, before its timeout of %v", waited, idle)
	}
	if s := lim.Stats(); s.IdleClosed != 1 || s.WriteTimedOut != 0 {
		t.Errorf("closed at the idle timeout %d, at the write timeout %d; want 1 and 0", s.IdleClosed, s.WriteTimedOut)
	}
}

// TestConnLimiterWriteTimeout checks that a connection whose request is
// still in progress after WriteTimeout is closed, which ends the request's
// context as a client going away does, and that the idle timeout, shorter,
// does not apply to it.
func TestConnLimiterWriteTimeout(t *testing.T) {
	const write = 300 * time.Millisecond
	ended := make(chan time.Duration, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/quick" {
			ok(w, r)
			return
		}
		start := time.Now()
		select {
		case <-r.Context().Done():
			ended <- time.Since(start)
		case <-time.After(10 * time.Second):
			ended <- -1
		}
	})
	lim, addr := limitedServer(t, ConnLimits{Max: 10, IdleTimeout: write / 3, WriteTimeout: write}, h)
	c := dialFrom(t, "127.0.0.1", addr)
	io.WriteString(c, "GET /stuck HTTP/1.1\r\nHost: test\r\n\r\n")
	switch d := <-ended; {
	case d < 0:
		t.Fatal("the stuck request was not ended in 10s")
	case d < write/2:
		t.Errorf("the stuck request was ended after %v, before the write timeout of %v", d, write)
	}
	if err := closedWithin(c, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	testpeer.MustEventually(t, 10*time.Second, "the timeout counted", func() bool { return lim.Stats().WriteTimedOut == 1 })
	if s := lim.Stats(); s.IdleClosed != 0 || s.Open != 0 {
		t.Errorf("closed at the idle timeout %d, open %d; want 0 and 0", s.IdleClosed, s.Open)
	}
	m := NewMetrics()
	m.WatchConns(lim)
	got := gathered(t, m)
	for key, want := range map[string]float64{`metalinkd_connections_timed_out_total{timeout=write}`: 1,
		`metalinkd_connections_timed_out_total{timeout=idle}`: 0} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %v (listed %v), want %v", key, v, ok, want)
		}
	}
	// Quick requests on one connection, longer than the write timeout in
	// all, are not cut off: each request is timed on its own.
	quick := dialFrom(t, "127.0.0.1", addr)
	qr := bufio.NewReader(quick)
	for i := range 12 {
		io.WriteString(quick, "GET /quick HTTP/1.1\r\nHost: test\r\n\r\n")
		if line := readStatus(t, quick, qr); line != "HTTP/1.1 200 OK" {
			t.Fatalf("quick request %d: %q", i, line)
		}
		time.Sleep(write / 12)
	}
}

// TestLimitBodyReadTimeout checks that a body still arriving readTimeout
// after its headers fails to read and closes the connection, and that the
// deadline does not outlast its request: the next request on the same
// connection, after more than readTimeout, is answered.
func TestLimitBodyReadTimeout(t *testing.T) {
	const read = 300 * time.Millisecond
	readErr := make(chan error, 1)
	h := LimitBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		if r.Method == http.MethodPost {
			readErr <- err
		}
		if err != nil {
			return
		}
		ok(w, r)
	}), 1<<20, read)
	_, addr := limitedServer(t, ConnLimits{Max: 10}, h)

	c := dialFrom(t, "127.0.0.1", addr)
	br := bufio.NewReader(c)
	io.WriteString(c, "POST /x HTTP/1.1\r\nHost: test\r\nContent-Length: 4\r\n\r\nbody")
	if line := readStatus(t, c, br); line != "HTTP/1.1 200 OK" {
		t.Fatalf("whole body: %q", line)
	}
	if err := <-readErr; err != nil {
		t.Fatalf("reading a whole body: %v", err)
	}
	time.Sleep(2 * read)
	if line := statusLineOn(t, c, br); line != "HTTP/1.1 200 OK" {
		t.Fatalf("a request %v after a body on the same connection: %q", 2*read, line)
	}

	slow := dialFrom(t, "127.0.0.1", addr)
	io.WriteString(slow, "POST /x HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\npart")
	select {
	case err := <-readErr:
		if err == nil {
			t.Fatal("a body 96 bytes short was read without an error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the read of a stalled body did not fail in 10s")
	}
	if err := closedWithin(slow, 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

// statusLineOn sends one request on c, read through br, and returns the
// answer's status line, the rest of the answer read.
func statusLineOn(t *testing.T, c net.Conn, br *bufio.Reader) string {
	t.Helper()
	io.WriteString(c, "GET /x HTTP/1.1\r\nHost: test\r\n\r\n")
	return readStatus(t, c, br)
}

// readStatus reads one answer from br and returns its status line.
func readStatus(t *testing.T, c net.Conn, br *bufio.Reader) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return "error: " + err.Error()
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return "error: " + err.Error()
	}
	return resp.Proto + " " + resp.Status
}

// closedWithin waits until the server closes c: a read ending in EOF or a
// reset, not in data or the guard's timeout.
func closedWithin(c net.Conn, guard time.Duration) error {
	c.SetReadDeadline(time.Now().Add(guard))
	var b [512]byte
	for {
		_, err := c.Read(b[:])
		if err == nil {
			continue // the rest of an answer
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return fmt.Errorf("connection still open after %v", guard)
		}
		return nil
	}
}

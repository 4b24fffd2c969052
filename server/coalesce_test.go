package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// recordingConn records the writes that reach it; failAt, when above 0,
// makes that write (counting from 1) fail.
type recordingConn struct {
	net.Conn
	writes [][]byte
	failAt int
}

func (c *recordingConn) Write(p []byte) (int, error) {
	if len(c.writes)+1 == c.failAt {
		c.writes = append(c.writes, nil)
		return 0, errors.New("broken pipe")
	}
	c.writes = append(c.writes, bytes.Clone(p))
	return len(p), nil
}

func fill(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }

// TestHeldWrites checks that a holding connection keeps back one write of
// up to maxHeld bytes, sends it before the next write or at the release,
// and writes through once the hold has ended.
func TestHeldWrites(t *testing.T) {
	rc := &recordingConn{}
	c := &limitedConn{Conn: rc}
	sizes := func() []int {
		var got []int
		for _, w := range rc.writes {
			got = append(got, len(w))
		}
		return got
	}
	expect := func(step string, want ...int) {
		t.Helper()
		if got := sizes(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: writes %v, want %v", step, got, want)
		}
	}
	write := func(p []byte) {
		t.Helper()
		if n, err := c.Write(p); n != len(p) || err != nil {
			t.Fatalf("Write of %d bytes: %d, %v", len(p), n, err)
		}
	}

	write(fill(10, 'a'))
	expect("not holding", 10)

	c.hold()
	write(fill(maxHeld, 'b'))
	expect("the first write held back", 10)
	write(fill(10000, 'c'))
	expect("the next write sent with it", 10, maxHeld, 10000)
	if !bytes.Equal(rc.writes[1], fill(maxHeld, 'b')) || !bytes.Equal(rc.writes[2], fill(10000, 'c')) {
		t.Fatal("held writes sent with other bytes or out of order")
	}
	write(fill(7, 'd'))
	expect("the hold ended with the coalesced write", 10, maxHeld, 10000, 7)
	if err := c.release(); err != nil || c.held != nil {
		t.Fatalf("release after the hold ended: %v, held %v", err, c.held)
	}

	c.hold()
	write(fill(100, 'e'))
	expect("a small answer held", 10, maxHeld, 10000, 7)
	if err := c.release(); err != nil {
		t.Fatal(err)
	}
	expect("the release sends it", 10, maxHeld, 10000, 7, 100)

	c.hold()
	if err := c.release(); err != nil {
		t.Fatal(err)
	}
	expect("a release with nothing held writes nothing", 10, maxHeld, 10000, 7, 100)

	c.hold()
	write(fill(maxHeld+1, 'f'))
	expect("a write larger than maxHeld goes at once", 10, maxHeld, 10000, 7, 100, maxHeld+1)
	c.release()

	// A failed coalesced write reports that none of the later bytes left.
	rc.writes, rc.failAt = nil, 1
	c.hold()
	write(fill(50, 'g'))
	if n, err := c.Write(fill(5000, 'h')); n != 0 || err == nil {
		t.Fatalf("coalesced write failing on the held bytes: %d, %v; want 0 and the error", n, err)
	}
	if c.held != nil {
		t.Fatal("still holding after a failed write")
	}
}

// TestAnswersCoalescedIntact serves bodies of every size around net/http's
// buffers through writeHeld on one kept-alive connection behind a
// ConnLimiter, and checks each answer arrives whole and in order.
func TestAnswersCoalescedIntact(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		body := make([]byte, n)
		for i := range body {
			body[i] = byte('a' + i%26)
		}
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			writeHeld(w, r, body)
		}
	})
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &countingListener{Listener: tcp}
	limitedServerOn(t, ln, ConnLimits{Max: 10}, h)

	c := dialFrom(t, "127.0.0.1", ln.Addr().String())
	br := bufio.NewReader(c)
	c.SetDeadline(time.Now().Add(30 * time.Second))
	for _, n := range []int{0, 1, holdMin - 1, holdMin, 3000, 3900, maxHeld - 1, maxHeld, maxHeld + 1, 8000, 18089, 400_000} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			before := ln.writes.Load()
			fmt.Fprintf(c, "%s /?n=%d HTTP/1.1\r\nHost: test\r\n\r\n", method, n)
			req, _ := http.NewRequest(method, "/", nil)
			resp, err := http.ReadResponse(br, req)
			if err != nil {
				t.Fatalf("%s of %d bytes: %v", method, n, err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("%s of %d bytes: %v", method, n, err)
			}
			want := n
			if method == http.MethodHead {
				want = 0
			}
			if len(got) != want || resp.ContentLength != int64(n) {
				t.Fatalf("%s of %d bytes: got %d bytes, Content-Length %d", method, n, len(got), resp.ContentLength)
			}
			for i, b := range got {
				if b != byte('a'+i%26) {
					t.Fatalf("%s of %d bytes: byte %d is %q", method, n, i, b)
				}
			}
			// Write counts the writes that did not go out as a writev: an
			// answer too large for net/http's buffer must have left whole
			// in one, and a small one in a single write (the answers in
			// between, with the headers about the buffer's size, either).
			writes := ln.writes.Load() - before
			large := method == http.MethodGet && n > maxHeld
			small := method == http.MethodHead || n < maxHeld-512
			if large && writes != 0 || small && writes != 1 || writes > 1 {
				t.Errorf("%s of %d bytes: %d plain writes", method, n, writes)
			}
		}
	}
}

// countingListener accepts TCP connections that count their plain writes;
// a writev reaches the TCP connection's own method uncounted.
type countingListener struct {
	net.Listener
	writes atomic.Int64
}

type countingConn struct {
	*net.TCPConn
	writes *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c.(*net.TCPConn), &l.writes}, nil
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.TCPConn.Write(p)
}

package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// serveDemo starts the real binary on the demo data with extra serve flags
// and returns its address once /healthz answers.
func serveDemo(t *testing.T, flags ...string) string {
	t.Helper()
	return serveDemoNofile(t, 0, flags...)
}

// serveDemoNofile is serveDemo with the server's file descriptor limit
// (soft and hard) set to nofile, unless it is 0.
func serveDemoNofile(t *testing.T, nofile int, flags ...string) string {
	t.Helper()
	bin := testpeer.Metalinkd(t)
	dir := t.TempDir()
	var lastErr error
	for range 3 { // another program may take the port between probe and bind
		addr := testpeer.FreeAddr(t)
		logPath := filepath.Join(dir, "metalinkd.log")
		logFile, err := os.Create(logPath)
		if err != nil {
			t.Fatal(err)
		}
		args := append([]string{"serve", "--demo", "--data-dir", filepath.Join(dir, "data"), "--listen", addr, "--access-log=false"}, flags...)
		cmd := exec.Command(bin, args...)
		if nofile > 0 {
			// exec keeps the pid, so the server is still stopped by its pid.
			cmd = exec.Command("/bin/sh", append([]string{"-c", fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, nofile), bin}, args...)...)
		}
		cmd.Stdout, cmd.Stderr = logFile, logFile
		p := testpeer.Start(t, cmd)
		logFile.Close()
		if lastErr = testpeer.WaitReady(p, 30*time.Second, testpeer.HTTPOK("http://"+addr+"/healthz")); lastErr == nil {
			return addr
		}
		out, _ := os.ReadFile(logPath)
		t.Logf("metalinkd serve %v: %v\n%s", flags, lastErr, out)
	}
	t.Fatal(lastErr)
	return ""
}

// dialFrom connects to addr from the loopback address src.
func dialFrom(src, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	return d.Dial("tcp", addr)
}

// closedByServer waits until the server closes c: a read that ends in EOF
// or a reset. guard only turns a hang into a failure.
func closedByServer(c net.Conn, guard time.Duration) error {
	c.SetReadDeadline(time.Now().Add(guard))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("still open after %v", guard)
	}
	return nil // EOF (io.Copy reports nil) or a reset
}

// keptAlive connects from 127.0.0.1, makes one request and leaves the
// connection open and idle, as a keep-alive client does.
func keptAlive(addr string) (net.Conn, error) {
	c, err := dialFrom("127.0.0.1", addr)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: flood\r\n\r\n"); err != nil {
		c.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// TestIdleConnectionFlood opens thousands of idle keep-alive connections
// from one address against a server limited to 200, while a probe from
// another address makes ordinary requests on new connections: every probe
// request must succeed, and the flood must not hold more than the limit.
func TestIdleConnectionFlood(t *testing.T) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur < 4096 {
		testpeer.Missing(t, fmt.Sprintf("the flood needs 4096 file descriptors in the test process (limit %d, %v)", rl.Cur, err))
	}
	t.Run("--max-conns 200", func(t *testing.T) {
		idleFlood(t, 200, 400, serveDemo(t, "--max-conns", "200"))
	})
	// With no flag the limit is 80% of the descriptor limit: the flood
	// would otherwise use every descriptor, and new connections would wait
	// in the listen queue unanswered.
	t.Run("default from RLIMIT_NOFILE 1024", func(t *testing.T) {
		idleFlood(t, 819, 1000, serveDemoNofile(t, 1024))
	})
}

// idleFlood floods addr, whose server holds at most limit connections,
// and probes it once the flood has opened start connections.
func idleFlood(t *testing.T, limit, start int, addr string) {
	const flood, probes = 3000, 200

	var dialed, closed atomic.Int64
	var mu sync.Mutex
	var conns []net.Conn
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	stop := make(chan struct{})
	floodDone := make(chan struct{})
	stopFlood := sync.OnceFunc(func() { close(stop); <-floodDone })
	defer stopFlood()
	go func() {
		defer close(floodDone)
		for range flood {
			select {
			case <-stop:
				return
			default:
			}
			c, err := keptAlive(addr)
			if err != nil {
				continue
			}
			dialed.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() {
				if closedByServer(c, time.Minute) == nil {
					closed.Add(1)
				}
			}()
		}
	}()
	testpeer.MustEventually(t, 60*time.Second, "the flood to open its connections", func() bool { return dialed.Load() >= int64(start) })

	probe := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext:       (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).DialContext,
	}}
	var latencies []time.Duration
	failures := 0
	for i := range probes {
		start := time.Now()
		resp, err := probe.Get("http://" + addr + "/metalink?repo=fedora-41&arch=x86_64")
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
		}
		latencies = append(latencies, time.Since(start))
		if err != nil {
			failures++
			t.Errorf("probe request %d during the flood: %v", i, err)
			if failures == 5 {
				t.Fatalf("giving up after %d failed probe requests", failures)
			}
		}
	}
	stopFlood()
	slices.Sort(latencies)
	t.Logf("probe during a flood of %d idle connections (limit %d): %d/%d ok; latency p50 %v, p99 %v, max %v",
		dialed.Load(), limit, probes-failures, probes,
		latencies[len(latencies)/2], latencies[len(latencies)*99/100], latencies[len(latencies)-1])
	// Every flood connection beyond the limit is closed by the server.
	if !testpeer.Eventually(30*time.Second, func() bool { return dialed.Load()-closed.Load() <= int64(limit) }) {
		t.Errorf("%d flood connections dialed, %d closed by the server: more than %d held open", dialed.Load(), closed.Load(), limit)
	}
}

// TestSlowlorisIsCutOff drips a request's header lines, each well within
// any per-read timeout: the server must close the connection once the
// headers' whole time (--read-header-timeout) has passed.
func TestSlowlorisIsCutOff(t *testing.T) {
	addr := serveDemo(t, "--read-header-timeout", "1s", "--read-timeout", "1m", "--idle-timeout", "1m")
	lines := dripUntilCut(t, addr, "GET /metalink?repo=fedora-41&arch=x86_64 HTTP/1.1\r\nHost: test\r\n",
		func(i int) string { return fmt.Sprintf("X-Drip-%d: 1\r\n", i) })
	t.Logf("slowloris cut off after %d dripped header lines", lines)
}

// dripUntilCut sends head on a new connection to addr, then drip(i) every
// 100 ms until the server closes the connection, and returns how many
// drips were sent. The server must close it between 0.5 s and a minute
// after head.
func dripUntilCut(t *testing.T, addr, head string, drip func(i int) string) int {
	t.Helper()
	c, err := dialFrom("127.0.0.1", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	closed := make(chan error, 1)
	go func() { closed <- closedByServer(c, time.Minute) }()
	start := time.Now()
	io.WriteString(c, head)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	dripped := 0
	for {
		select {
		case err := <-closed:
			if err != nil {
				t.Fatalf("dripping connection: %v", err)
			}
			if waited := time.Since(start); waited < 500*time.Millisecond {
				t.Errorf("cut off after %v, before the timeout of 1s", waited)
			}
			return dripped
		case <-tick.C:
			if _, err := io.WriteString(c, drip(dripped)); err == nil {
				dripped++
			}
		}
	}
}

// TestSlowReaderIsCutOff pipelines requests and never reads an answer: once
// the answers fill the socket buffers the server cannot write, and
// --write-timeout must make it close the connection, which the client sees
// as a reset on its writes.
func TestSlowReaderIsCutOff(t *testing.T) {
	addr := serveDemo(t, "--write-timeout", "1s", "--read-timeout", "1m", "--idle-timeout", "1m")
	c, err := dialFrom("127.0.0.1", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.(*net.TCPConn).SetReadBuffer(4096)
	c.SetWriteDeadline(time.Now().Add(time.Minute)) // only turns a hang into a failure
	req := []byte("GET /metalink?repo=fedora-41&arch=x86_64 HTTP/1.1\r\nHost: test\r\n\r\n")
	const maxRequests = 1_000_000
	for i := range maxRequests {
		if _, err := c.Write(req); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the server never cut off a client that does not read (%d requests written)", i)
			}
			t.Logf("slow reader cut off after %d pipelined requests: %v", i, err)
			return
		}
	}
	t.Fatalf("%d requests written without the server closing the connection", maxRequests)
}

// TestIdleKeptAliveIsClosed leaves a kept-alive connection without a new
// request: --idle-timeout must make the server close it.
func TestIdleKeptAliveIsClosed(t *testing.T) {
	addr := serveDemo(t, "--idle-timeout", "1s", "--read-timeout", "1m", "--write-timeout", "1m")
	c, err := keptAlive(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	if err := closedByServer(c, time.Minute); err != nil {
		t.Fatalf("idle kept-alive connection: %v", err)
	}
	if waited := time.Since(start); waited < 500*time.Millisecond {
		t.Errorf("closed %v after its answer, before the idle timeout of 1s", waited)
	}
}

// TestSlowBodyIsCutOff drips a request's body after its headers:
// --read-timeout must make the server close the connection, although the
// answer does not read the body (net/http reads it after the answer, to
// keep the connection).
func TestSlowBodyIsCutOff(t *testing.T) {
	addr := serveDemo(t, "--read-timeout", "1s", "--write-timeout", "1m", "--idle-timeout", "1m")
	dripped := dripUntilCut(t, addr, "POST /metalink?repo=fedora-41&arch=x86_64 HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n",
		func(int) string { return "x" })
	t.Logf("slow body cut off after %d dripped bytes", dripped)
}

package testpeer

import (
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"
)

// tick is how often Eventually and WaitReady ask again.
const tick = 50 * time.Millisecond

// Eventually calls cond every 50 ms until it returns true or limit has
// passed, and reports whether cond held. The limit only turns a hang into a
// failure: tests never assert on how long the wait took.
func Eventually(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(tick)
	}
}

// MustEventually is Eventually that fails t, saying what it waited for,
// when cond did not hold within limit.
func MustEventually(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Eventually(limit, cond) {
		t.Fatalf("timed out after %v waiting for %s", limit, what)
	}
}

// WaitReady waits until the peer p serves, as the probe ready tells, for
// at most limit. It returns why the peer is not ready, or nil; a peer whose
// process ended is not waited for.
func WaitReady(p *Process, limit time.Duration, ready func() bool) error {
	exited := false
	if Eventually(limit, func() bool {
		select {
		case <-p.Exited():
			exited = true
			return true
		default:
		}
		return ready()
	}) && !exited {
		return nil
	}
	if exited {
		return fmt.Errorf("%s (pid %d) exited before serving: %v", p.Name(), p.Pid(), p.Err())
	}
	return fmt.Errorf("%s (pid %d) did not serve within %v", p.Name(), p.Pid(), limit)
}

var probeClient = &http.Client{Timeout: 5 * time.Second}

// HTTPOK is a readiness probe: a GET of url answers 200.
func HTTPOK(url string) func() bool {
	return func() bool {
		resp, err := probeClient.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
}

// Listening is a readiness probe: addr accepts TCP connections.
func Listening(addr string) func() bool {
	return func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
}

package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The flood of idle connections is TestIdleConnectionFlood (limits_test.go):
// scripts/reliability.sh runs it with the suite and reports its probe's
// latencies.

// TestReliabilityBogusTokenFlood sends admin requests with random bearer
// tokens from many client addresses while a probe asks for the metalink:
// every probe request must succeed, every flood request must be refused
// (401, or 429 once its client's budget of bad tokens is spent), a real
// token must still work afterwards, and the store must be unchanged.
func TestReliabilityBogusTokenFlood(t *testing.T) {
	s := serveEmbedded(t)
	admin := s.token(t, "flood-admin", "admin")
	before := s.export(t)
	workers, perWorker, probes := sized(8, 16), sized(400, 4000), sized(300, 3000)

	var statuses sync.Map // status -> *atomic.Int64
	count := func(code int) {
		v, _ := statuses.LoadOrStore(code, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			// Each worker changes its client address every 50 requests,
			// so that the flood comes from hundreds of clients.
			for i := range perWorker {
				src := fmt.Sprintf("127.0.%d.%d", 10+w, i/50+1)
				resp := rawDo(t, src, s.addr, request{method: "GET", target: "/api/v1/mirrors", token: randomSecret()})
				count(resp.status)
			}
		})
	}

	floodDone := make(chan struct{})
	go func() { wg.Wait(); close(floodDone) }()
	probe := probeClient("127.0.0.1")
	var lat latencies
	var failures []string
	// At least probes requests, and on until the flood (bounded) ends.
	for i := 0; i < probes || !closed(floodDone); i++ {
		start := time.Now()
		err := probeMetalink(probe, s.addr)
		lat = append(lat, time.Since(start))
		if err != nil {
			failures = append(failures, fmt.Sprintf("probe %d: %v", i, err))
		}
	}
	<-floodDone

	sent := map[int]int64{}
	statuses.Range(func(k, v any) bool { sent[k.(int)] = v.(*atomic.Int64).Load(); return true })
	figure(t, "bogus-token flood of %d requests from %d clients: statuses %v; probe %s", workers*perWorker,
		workers*((perWorker+49)/50), sent, lat)
	if len(failures) > 0 {
		t.Errorf("%d of %d probe requests failed during the flood; the first: %s", len(failures), probes, failures[0])
	}
	for code, n := range sent {
		if code != http.StatusUnauthorized && code != http.StatusTooManyRequests {
			t.Errorf("%d flood requests got %d, want 401 or 429", n, code)
		}
	}
	if sent[http.StatusTooManyRequests] == 0 {
		t.Error("no client of the flood was held back by the budget of bad tokens (no 429)")
	}
	if r := rawDo(t, "127.0.0.1", s.addr, request{method: "GET", target: "/api/v1/mirrors", token: admin}); r.status != 200 {
		t.Errorf("a real token after the flood: status %d (%v), want 200", r.status, r.err)
	}
	if got := s.export(t); !bytes.Equal(got, before) {
		t.Errorf("the store's export changed during the flood:\n%s", lineDiff(before, got))
	}
}

// probeClient makes requests on new connections from src.
func probeClient(src string) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext:       (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}).DialContext,
	}}
}

// probeMetalink asks addr for the demo data's metalink and returns why
// the answer is not a 200 listing mirrors.
func probeMetalink(c *http.Client, addr string) error {
	resp, err := c.Get("http://" + addr + "/metalink?repo=fedora-41&arch=x86_64")
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	switch {
	case err != nil:
		return err
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("status %d", resp.StatusCode)
	case !strings.Contains(string(body), "<url "):
		return fmt.Errorf("no mirror listed: %.200q", body)
	}
	return nil
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

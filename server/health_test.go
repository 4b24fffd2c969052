package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/demo"
	"github.com/metalinkd/metalinkd/internal/version"
	"github.com/metalinkd/metalinkd/metalink"
)

// healthServer is a server on the demo data whose clock and log the test
// holds.
func healthServer(t *testing.T, now *time.Time, log *bytes.Buffer) (*Server, *Reloader) {
	t.Helper()
	d, err := demo.Dataset(time.Unix(1_795_600_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	rl := NewStaticReloader(metalink.NewSnapshot(d, time.Now()))
	s := New(rl, fakeGeo{}, slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Options{Now: func() time.Time { return *now }})
	return s, rl
}

func getReadyz(t *testing.T, h http.Handler) (int, map[string]any) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("readyz body %q: %v", w.Body, err)
	}
	return w.Code, body
}

func TestReadyzVersion(t *testing.T) {
	now := time.Now()
	s, _ := healthServer(t, &now, &bytes.Buffer{})
	code, body := getReadyz(t, s.Handler())
	v, _ := body["version"].(map[string]any)
	if code != 200 || body["status"] != "ok" || v["version"] != version.Get().Version || v["go"] != version.Get().Go {
		t.Errorf("readyz %d %v, want 200, ok and the version %+v", code, body, version.Get())
	}
}

func TestReadyzDraining(t *testing.T) {
	now := time.Now()
	s, _ := healthServer(t, &now, &bytes.Buffer{})
	h := s.Handler()
	s.Drain()
	if code, body := getReadyz(t, h); code != http.StatusServiceUnavailable || body["status"] != "draining" {
		t.Errorf("readyz while draining: %d %v, want 503 draining", code, body)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metalink?repo=fedora-41&arch=x86_64", nil))
	if w.Code != http.StatusOK {
		t.Errorf("metalink while draining: %d, want 200", w.Code)
	}
}

// TestReadyzDegradedWarnsOncePerStateOrMinute covers finding L6: probes of
// a degraded server must not write a warning each.
func TestReadyzDegradedWarnsOncePerStateOrMinute(t *testing.T) {
	now := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	var log bytes.Buffer
	s, rl := healthServer(t, &now, &log)
	h := s.Handler()
	warnings := func() int { return strings.Count(log.String(), "level=WARN") }
	fail := errors.New("store: connection refused")
	rl.lastErr.Store(&fail)
	for range 5 {
		if _, body := getReadyz(t, h); body["status"] != "degraded" {
			t.Fatalf("status %v, want degraded", body["status"])
		}
	}
	if n := warnings(); n != 1 {
		t.Fatalf("%d warnings for 5 probes of one degraded state, want 1:\n%s", n, log.String())
	}
	now = now.Add(30 * time.Second)
	getReadyz(t, h)
	if n := warnings(); n != 1 {
		t.Errorf("%d warnings within the minute, want 1", n)
	}
	now = now.Add(31 * time.Second)
	getReadyz(t, h)
	if n := warnings(); n != 2 {
		t.Errorf("%d warnings after a minute, want 2", n)
	}
	other := errors.New("store: timeout")
	rl.lastErr.Store(&other)
	getReadyz(t, h)
	if n := warnings(); n != 3 {
		t.Errorf("%d warnings after the error changed, want 3", n)
	}
	rl.lastErr.Store(nil)
	getReadyz(t, h)
	getReadyz(t, h)
	if n := strings.Count(log.String(), "readyz ok again"); n != 1 {
		t.Errorf("%d recovery lines, want 1:\n%s", n, log.String())
	}
	rl.lastErr.Store(&fail)
	getReadyz(t, h)
	if n := warnings(); n != 4 {
		t.Errorf("%d warnings after degrading again, want 4", n)
	}
}

package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/demo"
	"github.com/metalinkd/metalinkd/internal/logging"
	"github.com/metalinkd/metalinkd/metalink"
)

// loggedServer is the demo server's handler with its access log and its
// debug-level server log in buffers.
func loggedServer(t *testing.T, opts Options) (http.Handler, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	d, err := demo.Dataset(time.Unix(1_795_600_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	var access, log bytes.Buffer
	opts.AccessLog = &access
	geo := fakeGeo{netip.MustParseAddr("198.51.100.7"): {Country: "DE"}, netip.MustParseAddr("192.0.2.1"): {Country: "DE"}}
	s := New(NewStaticReloader(metalink.NewSnapshot(d, time.Now())), geo,
		slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})), opts)
	return s.Handler(), &access, &log
}

func lastAccessLine(t *testing.T, access *bytes.Buffer) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(access.String()), "\n")
	var got map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("%v: %s", err, access)
	}
	return got
}

func TestAccessLogRecordsTheAnswer(t *testing.T) {
	h, access, _ := loggedServer(t, Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	req := httptest.NewRequest(http.MethodGet, "/metalink?repo=fedora-41&arch=x86_64&location=us-east-1&token=s3cr3t", nil)
	req.RemoteAddr = "10.1.2.3:40000"
	req.Header.Set("X-Forwarded-For", "198.51.100.7")
	req.Header.Set("User-Agent", "libdnf (Fedora Linux 41)")
	h.ServeHTTP(httptest.NewRecorder(), req)
	got := lastAccessLine(t, access)
	want := map[string]any{"client": "198.51.100.7", "peer": "10.1.2.3:40000", "user_agent": "libdnf (Fedora Linux 41)",
		"first_step": "location", "location": "us-east-1", "status": float64(200),
		"query": "repo=fedora-41&arch=x86_64&location=us-east-1&token=REDACTED"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	if _, ok := got["duration_ms"].(float64); !ok {
		t.Errorf("duration_ms %#v is not a number", got["duration_ms"])
	}

	req = httptest.NewRequest(http.MethodGet, "/mirrorlist?repo=fedora-41&arch=x86_64", nil)
	req.RemoteAddr = "192.0.2.1:40000"
	h.ServeHTTP(httptest.NewRecorder(), req)
	got = lastAccessLine(t, access)
	if got["client"] != "192.0.2.1" || got["peer"] != nil || got["first_step"] != "country" {
		t.Errorf("direct client: client %v, peer %v, first_step %v; want 192.0.2.1, none, country",
			got["client"], got["peer"], got["first_step"])
	}

	req = httptest.NewRequest(http.MethodGet, "/healthz", nil)
	req.RemoteAddr = "192.0.2.9:1"
	h.ServeHTTP(httptest.NewRecorder(), req)
	if got = lastAccessLine(t, access); got["client"] != "192.0.2.9" || got["path"] != "/healthz" {
		t.Errorf("healthz line: %v", got)
	}
}

func TestAccessLogText(t *testing.T) {
	h, access, _ := loggedServer(t, Options{AccessLogFormat: logging.Text})
	req := httptest.NewRequest(http.MethodGet, "/metalink?repo=fedora-41&arch=x86_64&access_token=s3cr3t", nil)
	req.RemoteAddr = "192.0.2.1:40000"
	h.ServeHTTP(httptest.NewRecorder(), req)
	line := access.String()
	for _, part := range []string{"level=INFO msg=request ", ` query="repo=fedora-41&arch=x86_64&access_token=REDACTED" `,
		" client=192.0.2.1 ", " status=200 ", " first_step=country "} {
		if !strings.Contains(line, part) {
			t.Errorf("text line lacks %q: %s", part, line)
		}
	}
	if strings.HasPrefix(line, "{") || strings.Contains(line, "s3cr3t") {
		t.Errorf("text line: %s", line)
	}
}

// brokenConn is a ResponseWriter whose client has gone: every write fails.
type brokenConn struct{ h http.Header }

func (w *brokenConn) Header() http.Header       { return w.h }
func (w *brokenConn) Write([]byte) (int, error) { return 0, errors.New("write: broken pipe") }
func (w *brokenConn) WriteHeader(int)           {}

// TestClientGoneIsNotAnError covers finding L6: a client that hangs up
// mid-answer is logged with status 499 at debug level, never as an error.
func TestClientGoneIsNotAnError(t *testing.T) {
	h, access, log := loggedServer(t, Options{})
	req := httptest.NewRequest(http.MethodGet, "/metalink?repo=fedora-41&arch=x86_64", nil)
	h.ServeHTTP(&brokenConn{h: http.Header{}}, req)
	if got := lastAccessLine(t, access); got["status"] != float64(StatusClientClosedRequest) || got["level"] != "DEBUG" {
		t.Errorf("failed write: status %v level %v, want 499 DEBUG", got["status"], got["level"])
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h.ServeHTTP(httptest.NewRecorder(), req.WithContext(ctx))
	if got := lastAccessLine(t, access); got["status"] != float64(StatusClientClosedRequest) || got["level"] != "DEBUG" {
		t.Errorf("closed connection: status %v level %v, want 499 DEBUG", got["status"], got["level"])
	}
	if strings.Contains(log.String(), "level=ERROR") || strings.Count(log.String(), "level=DEBUG msg=\"client went away\"") != 2 {
		t.Errorf("server log:\n%s", log.String())
	}
}

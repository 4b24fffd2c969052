package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/requestid"
	"github.com/metalinkd/metalinkd/metalink"
)

// TestAnswerAllocations keeps the answer path allocation-lean: a whole
// metalink or mirrorlist request through the handler, middleware included,
// allocates no more than it does today (6), whatever the mirror count,
// with statistics and metrics off or on.
func TestAnswerAllocations(t *testing.T) {
	const limit = 6
	for _, target := range []string{
		"/metalink?repo=fedora-41&arch=x86_64&location=us-east-1&countme=1",
		"/mirrorlist?repo=fedora-41&arch=x86_64",
		"/metalink?repo=unknown-repo&arch=x86_64&countme=4",
	} {
		for _, on := range []bool{false, true} {
			opts := Options{}
			if on {
				opts = Options{Stats: NewStats(), Metrics: NewMetrics()}
			}
			h := benchHandlerWith(300, opts)
			req := httptest.NewRequest(http.MethodGet, target, nil)
			req.RemoteAddr = "192.0.2.1:40000"
			dw := &discardWriter{h: http.Header{}}
			got := testing.AllocsPerRun(200, func() {
				clear(dw.h)
				h.ServeHTTP(dw, req)
			})
			if got > limit {
				t.Errorf("%s (statistics and metrics on: %v): %.1f allocations per request, want at most %d", target, on, got, limit)
			}
			t.Logf("%s (statistics and metrics on: %v): %.0f allocations", target, on, got)
			if on {
				// AllocsPerRun runs once more to warm up.
				if n := countedRequests(opts.Stats); n != 201 {
					t.Errorf("%s: statistics counted %d requests, want 201", target, n)
				}
			}
		}
	}
}

// TestRequestIDReachesAdmin checks that the one request-id middleware gives
// the admin API, through the context, the id it logs: the proxy's
// X-Request-Id when valid, else a new one.
func TestRequestIDReachesAdmin(t *testing.T) {
	var access bytes.Buffer
	seen := ""
	admin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = requestid.FromContext(r.Context()) })
	s := New(NewStaticReloader(metalink.NewSnapshot(benchDataset(5), time.Now())), fakeGeo{netip.Addr{}: {}},
		slog.New(slog.DiscardHandler), Options{Admin: admin, AccessLog: &access})
	h := s.Handler()
	for _, tt := range []struct{ header, want string }{
		{"proxy-id.1", "proxy-id.1"},
		{"bad id with spaces", ""},
		{"", ""},
	} {
		access.Reset()
		seen = ""
		req := httptest.NewRequest(http.MethodGet, "/api/v1/mirrors", nil)
		if tt.header != "" {
			req.Header.Set(requestid.Header, tt.header)
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
		var line struct {
			ID string `json:"request_id"`
		}
		if err := json.NewDecoder(io.Reader(&access)).Decode(&line); err != nil {
			t.Fatalf("access log line: %v (%q)", err, access.String())
		}
		if seen == "" || seen != line.ID || (tt.want != "" && seen != tt.want) || (tt.want == "" && seen == tt.header) {
			t.Errorf("X-Request-Id %q: the admin API saw %q and the access log %q", tt.header, seen, line.ID)
		}
	}
}

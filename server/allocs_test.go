package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/requestid"
	"github.com/metalinkd/metalinkd/metalink"
)

// TestAnswerAllocations keeps the answer path allocation-lean: a whole
// metalink or mirrorlist request through the handler, middleware included,
// allocates no more than it does today (4; 6 for an unknown repository),
// whatever the mirror count, with statistics and metrics off or on, and
// answers reused (averaged over the draws they save) or not.
func TestAnswerAllocations(t *testing.T) {
	for _, tt := range []struct {
		target string
		limit  float64
	}{
		{"/metalink?repo=fedora-41&arch=x86_64&location=us-east-1&countme=1", 4},
		{"/metalink?repo=fedora-41&arch=x86_64&countme=1", 4},
		{"/mirrorlist?repo=fedora-41&arch=x86_64", 4},
		{"/metalink?repo=unknown-repo&arch=x86_64&countme=4", 6},
	} {
		for _, on := range []bool{false, true} {
			for _, reuse := range []int{0, 16} {
				opts := Options{AnswerReuse: reuse}
				if on {
					opts = Options{Stats: NewStats(), Metrics: NewMetrics(), AnswerReuse: reuse}
				}
				h := benchHandlerWith(300, opts)
				req := httptest.NewRequest(http.MethodGet, tt.target, nil)
				req.RemoteAddr = "192.0.2.1:40000"
				dw := &discardWriter{h: http.Header{}}
				got := testing.AllocsPerRun(200, func() {
					clear(dw.h)
					h.ServeHTTP(dw, req)
				})
				if got > tt.limit {
					t.Errorf("%s (statistics and metrics on: %v, reuse %d): %.1f allocations per request, want at most %v", tt.target, on, reuse, got, tt.limit)
				}
				t.Logf("%s (statistics and metrics on: %v, reuse %d): %.1f allocations", tt.target, on, reuse, got)
				if on {
					// AllocsPerRun runs once more to warm up.
					if n := countedRequests(opts.Stats); n != 201 {
						t.Errorf("%s: statistics counted %d requests, want 201", tt.target, n)
					}
				}
			}
		}
	}
}

// TestSharedAnswerIsNotRecycled checks that a reused answer's body, which
// the snapshot keeps for the next clients, never becomes the buffer another
// answer is written into.
func TestSharedAnswerIsNotRecycled(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	h := benchHandlerWith(50, Options{AnswerReuse: 100, Now: func() time.Time { return now }})
	get := func(target string) []byte {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.RemoteAddr = "192.0.2.9:40000"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || w.Header().Get("Content-Length") != strconv.Itoa(w.Body.Len()) {
			t.Fatalf("%s: status %d, Content-Length %q for %d bytes", target, w.Code, w.Header().Get("Content-Length"), w.Body.Len())
		}
		return w.Body.Bytes()
	}
	const reused = "/metalink?repo=fedora-41&arch=x86_64"
	first := get(reused)
	for i := range 20 {
		// Answers drawn for their client alone are written into the pool's
		// buffers, and then the reused one is given again.
		get("/metalink?repo=fedora-41&arch=x86_64&protocol=https")
		get("/mirrorlist?repo=fedora-41&arch=x86_64&country=global")
		if again := get(reused); !bytes.Equal(again, first) {
			t.Fatalf("round %d: the reused answer changed:\n%s\nwant:\n%s", i, again, first)
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

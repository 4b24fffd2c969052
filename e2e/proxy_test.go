package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// recorder is a reverse proxy in front of metalinkd that records each
// request's query exactly as the client sent it, so a test can show what
// dnf put in the metalink URL.
type recorder struct {
	srv *httptest.Server

	mu      sync.Mutex
	queries []string // raw query strings of /metalink and /mirrorlist requests
}

// startRecorder proxies to target until the test ends.
func startRecorder(t *testing.T, target string) *recorder {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.queries = append(r.queries, req.URL.Path+"?"+req.URL.RawQuery)
		r.mu.Unlock()
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// URL is the proxy's base URL, to use in place of metalinkd's.
func (r *recorder) URL() string { return r.srv.URL }

// seen returns the recorded path?query lines.
func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.queries...)
}

// String renders the recorded requests for failure messages.
func (r *recorder) String() string {
	var b strings.Builder
	for _, q := range r.seen() {
		fmt.Fprintf(&b, "  %s\n", q)
	}
	return b.String()
}

package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// mirrorPrefix is where every loopback mirror serves its copy of the master
// tree, as Fedora's mirrors do.
const mirrorPrefix = "/pub/fedora/linux"

// access is one line of a mirror's access log.
type access struct {
	Method, Path string
	Status       int
	UserAgent    string
}

func (a access) String() string {
	return fmt.Sprintf("%s %s %d %q", a.Method, a.Path, a.Status, a.UserAgent)
}

// mirror is a loopback HTTP server standing for one mirror: it serves a
// master tree under mirrorPrefix and keeps its own access log.
type mirror struct {
	name string
	srv  *httptest.Server

	mu   sync.Mutex
	root string // the master tree served; may be switched
	log  []access
}

// startMirror serves root under mirrorPrefix on a fresh loopback port until
// the test ends.
func startMirror(t *testing.T, name, root string) *mirror {
	t.Helper()
	m := &mirror{name: name, root: root}
	m.srv = httptest.NewServer(m)
	t.Cleanup(m.srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("access log of %s:\n%s", m.name, m.accessLog())
		}
	})
	return m
}

// URL is the mirror's base URL, as registered in metalinkd.
func (m *mirror) URL() string { return m.srv.URL + mirrorPrefix }

// setRoot makes the mirror serve another master tree from now on.
func (m *mirror) setRoot(root string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.root = root
}

// stop closes the mirror's listener: clients are then refused.
func (m *mirror) stop() { m.srv.Close() }

func (m *mirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	root := m.root
	m.mu.Unlock()
	// The request is logged as its status is written, before any byte
	// reaches the client: a client may exit, and the test read the log, as
	// soon as the answer arrives.
	rec := &accessRecorder{ResponseWriter: w, record: func(status int) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.log = append(m.log, access{r.Method, r.URL.Path, status, r.UserAgent()})
	}}
	http.StripPrefix(mirrorPrefix, http.FileServer(http.Dir(root))).ServeHTTP(rec, r)
}

// served counts successful GETs (whole or partial) of paths ending in suffix.
func (m *mirror) served(suffix string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, a := range m.log {
		ok := a.Status == http.StatusOK || a.Status == http.StatusPartialContent
		if a.Method == http.MethodGet && ok && strings.HasSuffix(a.Path, suffix) {
			n++
		}
	}
	return n
}

// requests counts every request the mirror received.
func (m *mirror) requests() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.log)
}

// accessLog renders the log, one request a line.
func (m *mirror) accessLog() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	for _, a := range m.log {
		fmt.Fprintf(&b, "  %s\n", a)
	}
	return b.String()
}

// accessRecorder reports the status of a response once, when it is written.
type accessRecorder struct {
	http.ResponseWriter
	record func(status int)
	done   bool
}

func (a *accessRecorder) WriteHeader(code int) {
	if !a.done {
		a.done = true
		a.record(code)
	}
	a.ResponseWriter.WriteHeader(code)
}

func (a *accessRecorder) Write(b []byte) (int, error) {
	if !a.done {
		a.WriteHeader(http.StatusOK)
	}
	return a.ResponseWriter.Write(b)
}

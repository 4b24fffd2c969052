package mirrorsync

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// s3Proxy stands between the worker and the gateway: it counts requests by
// kind and can fail or hold any of them, as a throttling or broken S3 would.
type s3Proxy struct {
	URL string
	mu  sync.Mutex
	n   map[string]int
	// fault, when set, may answer a request itself with a status (and the
	// proxy then does not forward it). It runs under no lock.
	fault func(kind string, r *http.Request) int
	// after, when set, runs once a mutating request was forwarded and
	// answered by the gateway, before the answer is returned.
	after func(kind string, n int)
	muts  int
}

func newS3Proxy(t testing.TB, target string) *s3Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &s3Proxy{n: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	// A killed worker leaves requests behind; that is the point, not news.
	rp.ErrorLog = log.New(io.Discard, "", 0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := requestKind(r)
		p.mu.Lock()
		p.n[kind]++
		fault := p.fault
		p.mu.Unlock()
		if fault != nil {
			if code := fault(kind, r); code != 0 {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(code)
				errCode := "InternalError"
				if code == http.StatusServiceUnavailable {
					errCode = "SlowDown"
				}
				_, _ = w.Write([]byte("<Error><Code>" + errCode + "</Code><Message>injected</Message></Error>"))
				return
			}
		}
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r)
		if kind == "PUT" || kind == "DELETE" || kind == "POST" {
			p.mu.Lock()
			p.muts++
			n, after := p.muts, p.after
			p.mu.Unlock()
			if after != nil {
				after(kind, n)
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// requestKind classifies an S3 request: LIST, GET, HEAD, PUT, POST (multipart
// steps and batch deletes) or DELETE.
func requestKind(r *http.Request) string {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodGet && (q.Has("list-type") || strings.Count(strings.Trim(r.URL.Path, "/"), "/") == 0):
		return "LIST"
	case r.Method == http.MethodPost && q.Has("delete"):
		return "DELETE"
	}
	return r.Method
}

// counts returns a copy of the counts and resets them.
func (p *s3Proxy) counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.n
	p.n = map[string]int{}
	return out
}

func (p *s3Proxy) set(fault func(string, *http.Request) int, after func(string, int)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault, p.after, p.muts = fault, after, 0
}

// reportServer implements the server's side of the mirror API contract:
// a report is accepted when its sha256 is the directory's current repomd in
// the master tree at root, or one accepted before (an alternate). It stands
// in for metalinkd in the sync tests, which change the master tree without
// rescanning it; TestServerClient and TestSyncWithRealServer run the real
// server.
type reportServer struct {
	URL    string
	root   string
	tokens map[string]string // mirror → token
	mu     sync.Mutex
	// accepted[dir] lists the sha256s accepted, oldest first.
	accepted map[string][]string
	reports  []map[string]string
	forgets  []string
}

func newReportServer(t testing.TB, root string, tokens map[string]string) *reportServer {
	t.Helper()
	rs := &reportServer{root: root, tokens: tokens, accepted: map[string][]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/mirrors/{name}/report", rs.report)
	mux.HandleFunc("POST /api/v1/mirrors/{name}/forget", rs.forget)
	mux.HandleFunc("GET /metalink", rs.metalink)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	rs.URL = srv.URL
	return rs
}

func (rs *reportServer) authorized(w http.ResponseWriter, r *http.Request) bool {
	want, ok := rs.tokens[r.PathValue("name")]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown mirror"})
		return false
	}
	if r.Header.Get("Authorization") != "Bearer "+want {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "token not valid for this mirror"})
		return false
	}
	return true
}

func (rs *reportServer) report(w http.ResponseWriter, r *http.Request) {
	if !rs.authorized(w, r) {
		return
	}
	var in map[string]string
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad json"})
		return
	}
	raw, err := os.ReadFile(filepath.Join(rs.root, filepath.FromSlash(in["directory"]), "repodata", "repomd.xml"))
	if err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown directory"})
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	cur := sha256Hex(raw)
	known := in["sha256"] == cur
	for _, a := range rs.accepted[in["directory"]] {
		known = known || a == in["sha256"]
	}
	if !known {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "neither current nor an alternate"})
		return
	}
	rs.accepted[in["directory"]] = append(rs.accepted[in["directory"]], cur)
	in["mirror"] = r.PathValue("name")
	rs.reports = append(rs.reports, in)
	w.WriteHeader(http.StatusNoContent)
}

func (rs *reportServer) forget(w http.ResponseWriter, r *http.Request) {
	if !rs.authorized(w, r) {
		return
	}
	var in map[string]string
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad json"})
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	n := 0
	for dir := range rs.accepted {
		if strings.HasPrefix(dir+"/", in["prefix"]) {
			delete(rs.accepted, dir)
			n++
		}
	}
	rs.forgets = append(rs.forgets, r.PathValue("name")+" "+in["prefix"])
	writeJSON(w, http.StatusOK, map[string]int{"forgotten": n})
}

// metalink answers ?path=DIR with the sha256 hashes the server would list:
// the master tree's current repomd and those accepted before.
func (rs *reportServer) metalink(w http.ResponseWriter, r *http.Request) {
	dir := r.URL.Query().Get("path")
	raw, err := os.ReadFile(filepath.Join(rs.root, filepath.FromSlash(dir), "repodata", "repomd.xml"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	w.Header().Set("Content-Type", "application/metalink+xml")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><metalink version="3.0" xmlns="http://www.metalinker.org/"><files><file name="repomd.xml"><verification><hash type="sha256">%s</hash></verification>`, sha256Hex(raw))
	for _, a := range rs.accepted[dir] {
		fmt.Fprintf(w, `<hash type="sha256">%s</hash>`, a)
	}
	fmt.Fprint(w, `</file></files></metalink>`)
}

func (rs *reportServer) reportCount() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return len(rs.reports)
}

func (rs *reportServer) forgetCount() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return len(rs.forgets)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

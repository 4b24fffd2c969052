package server

import (
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/metalinkd/metalinkd/metalink"
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// mirrors answers any path ending in /metalink or /mirrorlist, as Fedora's
// server does (so /metalink, /mirrorlist and /pub/fedora/metalink all work).
func (s *Server) mirrors(w http.ResponseWriter, r *http.Request) {
	isMetalink := strings.HasSuffix(r.URL.Path, "/metalink")
	if !isMetalink && !strings.HasSuffix(r.URL.Path, "/mirrorlist") {
		http.NotFound(w, r)
		return
	}
	q := metalink.ParseQuery(r.URL.RawQuery)
	now := s.opts.Now()
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	var resp metalink.Response
	snap := s.state.Snapshot()
	if addr, ok := s.clientAddr(r, q.IP); !ok {
		resp = metalink.Failure((*bp)[:0], isMetalink, http.StatusBadRequest, "Cannot parse client IP address: "+strconv.Quote(q.IP), now)
	} else {
		g := s.geo.Lookup(addr)
		c := metalink.Client{Addr: addr, Country: g.Country, ASN: g.ASN}
		resp = metalink.Answer((*bp)[:0], snap, &q, isMetalink, c, metalink.Options{Minimum: s.opts.Minimum, Rand: s.opts.Rand, Now: now, VerifyLocation: s.opts.VerifyLocation})
	}
	h := w.Header()
	h["Content-Type"] = []string{resp.ContentType}
	h["Content-Length"] = []string{strconv.Itoa(len(resp.Body))}
	if resp.Location != "" {
		h["Location"] = []string{resp.Location}
	}
	w.WriteHeader(resp.Status)
	if r.Method != http.MethodHead {
		w.Write(resp.Body)
	}
	if cap(resp.Body) <= 1<<20 {
		*bp = resp.Body[:0]
	}
}

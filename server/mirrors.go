package server

import (
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/metalinkd/metalinkd/metalink"
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// Header values shared by every answer; net/http only reads them.
var (
	metalinkType   = []string{metalink.MetalinkType}
	mirrorlistType = []string{metalink.MirrorlistType}
)

// isAnswerPath reports whether a path asks for a metalink or a mirrorlist.
func isAnswerPath(p string) bool {
	return strings.HasSuffix(p, "/metalink") || strings.HasSuffix(p, "/mirrorlist")
}

// mirrors answers any path ending in /metalink or /mirrorlist, as Fedora's
// server does (so /metalink, /mirrorlist and /pub/fedora/metalink all work).
func (s *Server) mirrors(w http.ResponseWriter, r *http.Request) {
	if !isAnswerPath(r.URL.Path) {
		http.NotFound(w, r)
		return
	}
	isMetalink := strings.HasSuffix(r.URL.Path, "/metalink")
	q := metalink.ParseQuery(r.URL.RawQuery)
	now := s.opts.Now()
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	var resp metalink.Response
	snap := s.state.Snapshot()
	addr, claimed, ok := s.clientAddr(r, q.IP)
	if !ok {
		resp = metalink.Failure((*bp)[:0], isMetalink, http.StatusBadRequest, "Cannot parse client IP address: "+strconv.Quote(q.IP), now)
	} else {
		geoAddr := addr
		if claimed.IsValid() {
			geoAddr = claimed
		}
		g := s.geo.Lookup(geoAddr)
		c := metalink.Client{Addr: addr, Claimed: claimed, Country: g.Country, ASN: g.ASN}
		resp = metalink.Answer((*bp)[:0], snap, &q, isMetalink, c, metalink.Options{Minimum: s.opts.Minimum, Rand: s.opts.Rand, Now: now, VerifyLocation: s.opts.VerifyLocation})
	}
	noteAnswer(w, addr, resp.FirstStep, q.Location)
	if q.Redirect && !isMetalink {
		noteRedirect(w)
	}
	h := w.Header()
	if resp.ContentType == metalink.MetalinkType {
		h["Content-Type"] = metalinkType
	} else {
		h["Content-Type"] = mirrorlistType
	}
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

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
	metalink4Type  = []string{metalink.Metalink4Type}
	mirrorlistType = []string{metalink.MirrorlistType}
	varyAccept     = []string{"Accept"}
)

// meta4Suffix is the path suffix that asks for a Metalink 4 answer, as in
// /metalink.meta4?repo=….
const meta4Suffix = "/metalink.meta4"

// isAnswerPath reports whether a path asks for a metalink or a mirrorlist.
func isAnswerPath(p string) bool {
	return strings.HasSuffix(p, "/metalink") || strings.HasSuffix(p, "/mirrorlist") || strings.HasSuffix(p, meta4Suffix)
}

// prefersMeta4 reports whether an Accept header asks for Metalink 4 over
// Metalink 3.0: it names application/metalink4+xml with a quality above
// zero and above that of application/metalink+xml, if that is named. A
// client accepting both alike (aria2 sends both) gets Metalink 3.0, the
// answer Fedora's server gives.
func prefersMeta4(values []string) bool {
	q4, q3 := -1.0, -1.0
	for _, v := range values {
		for v != "" {
			var item string
			item, v, _ = strings.Cut(v, ",")
			typ, params, _ := strings.Cut(item, ";")
			switch typ = strings.TrimSpace(typ); {
			case strings.EqualFold(typ, metalink.Metalink4Type):
				q4 = max(q4, quality(params))
			case strings.EqualFold(typ, metalink.MetalinkType):
				q3 = max(q3, quality(params))
			}
		}
	}
	return q4 > 0 && q4 > q3
}

// quality returns the q parameter of a media range's parameters: 1 when
// absent, 0 when malformed.
func quality(params string) float64 {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
			if err != nil {
				return 0
			}
			return q
		}
	}
	return 1
}

// mirrors answers any path ending in /metalink or /mirrorlist, as Fedora's
// server does (so /metalink, /mirrorlist and /pub/fedora/metalink all work).
// A metalink comes as Metalink 4 when the path ends in /metalink.meta4, the
// client prefers application/metalink4+xml, or the query has meta4=1.
//
// The answer is computed by computeAnswer and written from here, whose frame is
// small: net/http's writing of the headers takes about 3 KB of stack, and
// with the query and options of the answer still on the stack below it a
// request outgrew the 8 KB that a connection's goroutine keeps between
// requests. The collector halves an idle goroutine's stack, so every
// collection made every busy connection copy its stack back.
func (s *Server) mirrors(w http.ResponseWriter, r *http.Request) {
	if !isAnswerPath(r.URL.Path) {
		http.NotFound(w, r)
		return
	}
	bp := bufPool.Get().(*[]byte)
	var resp metalink.Response
	vary := s.computeAnswer(w, r, (*bp)[:0], &resp)
	h := w.Header()
	switch resp.ContentType {
	case metalink.MetalinkType:
		h["Content-Type"] = metalinkType
	case metalink.Metalink4Type:
		h["Content-Type"] = metalink4Type
	default:
		h["Content-Type"] = mirrorlistType
	}
	if vary {
		h["Vary"] = varyAccept
	}
	if resp.ContentLength != nil {
		h["Content-Length"] = resp.ContentLength
	} else {
		h["Content-Length"] = []string{strconv.Itoa(len(resp.Body))}
	}
	if resp.Location != "" {
		h["Location"] = []string{resp.Location}
	}
	w.WriteHeader(resp.Status)
	if r.Method != http.MethodHead {
		writeHeld(w, r, resp.Body)
	}
	// A shared answer belongs to the snapshot: the buffer stays the pool's.
	if !resp.Shared && cap(resp.Body) <= 1<<20 {
		*bp = resp.Body[:0]
	}
	bufPool.Put(bp)
}

// computeAnswer computes the answer to r into *resp, rendered into dst unless it
// is shared, and reports whether it varies with the Accept header.
//
//go:noinline
func (s *Server) computeAnswer(w http.ResponseWriter, r *http.Request, dst []byte, resp *metalink.Response) (vary bool) {
	meta4Path := strings.HasSuffix(r.URL.Path, meta4Suffix)
	isMetalink := meta4Path || strings.HasSuffix(r.URL.Path, "/metalink")
	meta4 := meta4Path || isMetalink && prefersMeta4(r.Header["Accept"])
	q := metalink.ParseQuery(r.URL.RawQuery)
	now := s.requestTime(w)
	var country string
	snap := s.state.Snapshot()
	addr, claimed, ok := s.clientAddr(r, q.IP)
	if !ok {
		msg := "Cannot parse client IP address: " + strconv.Quote(q.IP)
		if meta4 || isMetalink && q.Meta4 {
			*resp = metalink.Meta4Failure(dst, http.StatusBadRequest, msg, now)
		} else {
			*resp = metalink.Failure(dst, isMetalink, http.StatusBadRequest, msg, now)
		}
	} else {
		geoAddr := addr
		if claimed.IsValid() {
			geoAddr = claimed
		}
		g := s.geo.Lookup(geoAddr)
		country = g.Country
		c := metalink.Client{Addr: addr, Claimed: claimed, Country: g.Country, ASN: g.ASN}
		*resp = metalink.Answer(dst, snap, &q, isMetalink, c, metalink.Options{Minimum: s.opts.Minimum, Rand: s.opts.Rand, Now: now, VerifyLocation: s.opts.VerifyLocation, MaxBandwidth: s.opts.MaxBandwidth, Meta4: meta4,
			MountPrefix: s.opts.MountPrefix, FedoraFileLayout: s.opts.FedoraFileLayout, Reuse: s.opts.AnswerReuse})
	}
	noteAnswer(w, addr, resp.FirstStep, q.Location)
	if st := s.opts.Stats; st != nil {
		a := answer{now: now, repo: q.Repo, arch: q.Arch, country: country, location: q.Location, step: resp.FirstStep}
		// Counted as Fedora's countme reports count: GET answered 200 or 302.
		if r.Method == http.MethodGet && (resp.Status == http.StatusOK || resp.Status == http.StatusFound) {
			a.countme = countmeBucket(q.Countme)
		}
		st.count(&a)
	}
	if q.Redirect && !isMetalink {
		noteRedirect(w)
	}
	return isMetalink && !meta4Path
}

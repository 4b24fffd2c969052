package server

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// middleware bounds the request target, gives each request an id, recovers
// from panics (500 with the status text only) and logs one line per request.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
			if strings.HasPrefix(r.URL.Path, "/api/") {
				// The admin API logs and returns the same id.
				r.Header.Set("X-Request-Id", id)
			}
		}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("panic", "request_id", id, "panic", v)
				if sw.status == 0 {
					http.Error(sw, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
				}
			}
			if s.opts.AccessLog != nil {
				writeAccessLine(s.opts.AccessLog, &accessEntry{at: start, id: id, method: r.Method,
					path: truncate(r.URL.Path, 512), query: truncate(r.URL.RawQuery, 512), remote: r.RemoteAddr,
					status: sw.status, bytes: sw.bytes, duration: time.Since(start)})
			}
		}()
		if len(r.RequestURI) > s.opts.MaxURLLength {
			http.Error(sw, http.StatusText(http.StatusRequestURITooLong), http.StatusRequestURITooLong)
			return
		}
		next.ServeHTTP(sw, r)
	})
}

// requestIDs makes request ids: a random per-process prefix and a counter,
// unique across replicas for practical purposes, without a system call per
// request.
var requestIDs = struct {
	prefix string
	n      atomic.Uint64
}{prefix: randomPrefix()}

func randomPrefix() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:]) + "-"
}

func newRequestID() string {
	return requestIDs.prefix + strconv.FormatUint(requestIDs.n.Add(1), 36)
}

// validRequestID accepts a caller's (a proxy's) request id of 1 to 64
// characters from [A-Za-z0-9._-], so that it is safe in logs and headers.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

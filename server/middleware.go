package server

import (
	"net/http"
	"time"

	"github.com/metalinkd/metalinkd/internal/requestid"
)

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
	// redirect marks an answer to redirect=1; route is the admin API's
	// route pattern. Both label the metrics.
	redirect bool
	route    string
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
		// Handlers that log or return the id (the admin API) read it from the
		// context; the answers, nearly all traffic, need it only here, and
		// skip the copy of the request that a context value costs.
		id := requestid.Pick(r)
		if !isAnswerPath(r.URL.Path) {
			r = r.WithContext(requestid.NewContext(r.Context(), id))
		}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("panic", "request_id", id, "panic", v)
				if sw.status == 0 {
					http.Error(sw, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
				}
			}
			if m := s.opts.Metrics; m != nil {
				m.request(r.URL.Path, sw.redirect, sw.route, sw.status, time.Since(start))
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

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

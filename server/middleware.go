package server

import (
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/metalinkd/metalinkd/internal/logging"
	"github.com/metalinkd/metalinkd/internal/requestid"
	"github.com/metalinkd/metalinkd/metalink"
)

// StatusClientClosedRequest is the status logged for a request whose
// client went away before its answer was written (nginx's 499): no answer
// reached anyone, and nothing failed on the server's side.
const StatusClientClosedRequest = 499

// statusWriter remembers the status a handler wrote, and what the answer
// handler tells the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
	// gone says a write failed: the client went away.
	gone bool
	// The answer's client address, first step and location, set by the
	// mirrors handler; hasClient says client was set.
	client    netip.Addr
	hasClient bool
	firstStep metalink.Step
	location  string
	// redirect marks an answer to redirect=1; route is the admin API's
	// route pattern. Both label the metrics.
	redirect bool
	route    string
	// start is when the request came in.
	start time.Time
}

// statusWriters saves one allocation per request.
var statusWriters = sync.Pool{New: func() any { return new(statusWriter) }}

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
	if err != nil {
		w.gone = true
	}
	return n, err
}

// FlushError sends what the answer has buffered, if the ResponseWriter it
// wraps can.
func (w *statusWriter) FlushError() error {
	f, ok := w.ResponseWriter.(interface{ FlushError() error })
	if !ok {
		return nil
	}
	err := f.FlushError()
	if err != nil {
		w.gone = true
	}
	return err
}

// requestTime is the time an answer is computed for: when the request came
// in, read once by the middleware, unless the server was given a clock of
// its own.
func (s *Server) requestTime(w http.ResponseWriter) time.Time {
	if sw, ok := w.(*statusWriter); ok && s.systemClock {
		return sw.start
	}
	return s.opts.Now()
}

// noteAnswer records, for the access log, what an answer was computed for.
func noteAnswer(w http.ResponseWriter, client netip.Addr, step metalink.Step, location string) {
	if sw, ok := w.(*statusWriter); ok {
		sw.client, sw.hasClient, sw.firstStep, sw.location = client, true, step, location
	}
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
		sw := statusWriters.Get().(*statusWriter)
		*sw = statusWriter{ResponseWriter: w, start: start}
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("panic", "request_id", id, "panic", v)
				if sw.status == 0 {
					http.Error(sw, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
				}
			}
			if m := s.opts.Metrics; m != nil {
				m.observe(sw, r, start)
			}
			s.logRequest(sw, r, id, start)
			// net/http forbids using a ResponseWriter after ServeHTTP
			// returns, so nothing holds sw now.
			*sw = statusWriter{}
			statusWriters.Put(sw)
		}()
		if len(r.RequestURI) > s.opts.MaxURLLength {
			http.Error(sw, http.StatusText(http.StatusRequestURITooLong), http.StatusRequestURITooLong)
			return
		}
		next.ServeHTTP(sw, r)
	})
}

// logRequest writes the request's access line. A client that went away
// mid-answer (a failed write, or its connection closed while the handler
// ran) is logged with status 499 at debug level: outsiders can cause it at
// will, and it says nothing about the server.
func (s *Server) logRequest(sw *statusWriter, r *http.Request, id string, start time.Time) {
	status := sw.status
	gone := sw.gone || r.Context().Err() != nil
	if gone {
		status = StatusClientClosedRequest
		s.log.Debug("client went away", "request_id", id, "method", r.Method, "path", r.URL.Path,
			"status", sw.status, "bytes", sw.bytes)
	}
	if s.opts.AccessLog == nil {
		return
	}
	client := sw.client
	if !sw.hasClient {
		client = s.ClientAddr(r)
	}
	writeAccessLine(s.opts.AccessLog, &accessEntry{at: start, id: id, method: r.Method,
		path: r.URL.Path, query: r.URL.RawQuery, client: client, peer: r.RemoteAddr,
		userAgent: r.UserAgent(), firstStep: sw.firstStep, location: sw.location,
		status: status, bytes: sw.bytes, duration: time.Since(start), gone: gone},
		s.opts.AccessLogFormat == logging.Text)
}

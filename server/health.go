package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"
)

// healthz says the process is up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte("ok\n"))
}

// readyz says whether the server should be sent traffic: 503 "draining"
// once it was asked to stop, else 200 with the snapshot's age and size. A
// failed reload leaves the last snapshot serving, reported as degraded
// (still 200: the answers are good, only possibly stale).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	snap := s.state.Snapshot()
	body := map[string]any{"status": "ok", "snapshot_built": snap.Built.UTC(), "mirrors": snap.MirrorCount(),
		"version": s.version}
	status := http.StatusOK
	ok, reason := s.state.Status()
	var cause error
	if !ok {
		body["status"] = "degraded"
		body["reason"] = reason
		// The health ping can fail while the last reload succeeded.
		if cause = s.state.Err(); cause == nil {
			cause = errors.New(reason)
		}
	}
	s.degraded.report(s, cause)
	if s.draining.Load() {
		body["status"] = "draining"
		body["reason"] = "shutting down; answering until the drain ends"
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// Drain turns /readyz to 503 "draining", so that load balancers stop
// sending requests; every other path goes on answering.
func (s *Server) Drain() { s.draining.Store(true) }

// degradedWarnEvery is how often a degraded state that persists is logged
// again. Every probe (and anyone who asks) sees the state; the log gets a
// line when it changes and then once a minute, so that outsiders cannot
// flood it.
const degradedWarnEvery = time.Minute

// degradedLog rate-limits readyz's warnings.
type degradedLog struct {
	mu     sync.Mutex
	last   string // the error last logged, "" when healthy
	logged time.Time
}

// report logs a change of the reload state, and a persisting failure once
// every degradedWarnEvery.
func (d *degradedLog) report(s *Server, err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	now := s.opts.Now()
	d.mu.Lock()
	changed := msg != d.last
	due := msg != "" && (changed || now.Sub(d.logged) >= degradedWarnEvery)
	if due {
		d.logged = now
	}
	d.last = msg
	d.mu.Unlock()
	switch {
	case due:
		s.log.Warn("readyz degraded", "err", err)
	case changed:
		s.log.Info("readyz ok again: the store was read")
	}
}

package server

import (
	"encoding/json"
	"net/http"
)

// healthz says the process is up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte("ok\n"))
}

// readyz says whether the server answers from a current snapshot. A failed
// reload leaves the last snapshot serving, reported as degraded (still 200:
// the answers are good, only possibly stale).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	snap := s.state.Snapshot()
	body := map[string]any{"status": "ok", "snapshot_built": snap.Built.UTC(), "mirrors": snap.MirrorCount()}
	if ok, reason := s.state.Status(); !ok {
		body["status"] = "degraded"
		body["reason"] = reason
		s.log.Warn("readyz degraded", "reason", reason, "err", s.state.Err())
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(body)
}

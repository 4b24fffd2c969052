package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/metalinkd/metalinkd/internal/adminapi"
)

// Pinger is a store that can say whether it answers: the PostgreSQL store
// pings the database.
type Pinger interface {
	Ping(ctx context.Context) error
}

// dbHealth is the outcome of the last health check of the store.
type dbHealth struct {
	last atomic.Pointer[error]
}

func (h *dbHealth) err() error {
	if p := h.last.Load(); p != nil {
		return *p
	}
	return nil
}

// run pings p every period, each ping bounded by as long, until ctx ends,
// and calls recovered when a ping succeeds after one failed.
func (h *dbHealth) run(ctx context.Context, p Pinger, period time.Duration, log *slog.Logger, recovered func()) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, period)
		err := p.Ping(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		failing := h.err() != nil
		switch {
		case err != nil && !failing:
			log.Warn("the store does not answer its health check", "err", err)
			h.last.Store(&err)
		case err != nil:
			h.last.Store(&err)
		case failing:
			log.Info("the store answers its health check again")
			h.last.Store(nil)
			recovered()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Guard wraps h, the admin API, so that it answers 503 at once while the
// store fails its health check, instead of letting every request wait for
// its store call's deadline.
func (r *Reloader) Guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.health.err() == nil {
			h.ServeHTTP(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(adminapi.ErrorBody{Error: "the store is unavailable; try again later"})
	})
}

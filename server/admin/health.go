package admin

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/metalinkd/metalinkd/internal/adminapi"
	"github.com/metalinkd/metalinkd/store"
)

// listHealth answers GET /health: the crawler's view of every mirror,
// those never crawled included (state "unknown").
func (a *API) listHealth(w http.ResponseWriter, r *http.Request) error {
	ms, err := a.st.Mirrors(r.Context())
	if err != nil {
		return err
	}
	hs, err := a.st.Health(r.Context(), "")
	if err != nil {
		return err
	}
	byName := make(map[string]*store.MirrorHealth, len(hs))
	for i := range hs {
		byName[hs[i].Mirror] = &hs[i]
	}
	out := adminapi.HealthList{Mirrors: make([]adminapi.MirrorHealth, len(ms))}
	for i := range ms {
		out.Mirrors[i] = wireHealth(&ms[i], byName[ms[i].Name])
	}
	return writeJSON(w, http.StatusOK, out)
}

// mirrorHealth returns the wire health of one mirror; errNoMirror when
// there is none.
func (a *API) mirrorHealth(r *http.Request, name string) (adminapi.MirrorHealth, error) {
	m, err := a.st.Mirror(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return adminapi.MirrorHealth{}, errNoMirror(name)
	}
	if err != nil {
		return adminapi.MirrorHealth{}, err
	}
	hs, err := a.st.Health(r.Context(), name)
	if err != nil {
		return adminapi.MirrorHealth{}, err
	}
	var h *store.MirrorHealth
	if len(hs) > 0 {
		h = &hs[0]
	}
	return wireHealth(&m, h), nil
}

// getHealth answers GET /mirrors/{name}/health.
func (a *API) getHealth(w http.ResponseWriter, r *http.Request) error {
	h, err := a.mirrorHealth(r, param(r, "name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h)
}

// recoverMirror answers POST /mirrors/{name}/recover: a mirror the crawler
// disabled is listed again and its failures are forgotten; the answer is
// its health. The admin's enabled flag is not touched.
func (a *API) recoverMirror(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "name")
	if err := a.st.Recover(r.Context(), name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errNoMirror(name)
		}
		return err
	}
	h, err := a.mirrorHealth(r, name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h)
}

// listPropagation answers GET /propagation[?directory=D][&since=T]: how
// each directory's current repomd.xml spread over the mirrors, crawl by
// crawl, oldest first. since is an RFC 3339 time or a duration back from
// now (such as 24h).
func (a *API) listPropagation(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var since time.Time
	if v := q.Get("since"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			since = a.now().Add(-d)
		} else if t, err := time.Parse(time.RFC3339, v); err == nil {
			since = t
		} else {
			return invalid("since", "must be an RFC 3339 time (2026-11-01T12:00:00Z) or a duration back from now (24h)")
		}
	}
	ps, err := a.st.Propagation(r.Context(), strings.Trim(q.Get("directory"), "/"), since)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, adminapi.PropagationList{Points: views(ps, wirePropagation)})
}

func wireHealth(m *store.Mirror, h *store.MirrorHealth) adminapi.MirrorHealth {
	v := adminapi.MirrorHealth{Mirror: m.Name, State: store.HealthState(m, h), Protocols: []adminapi.ProtocolHealth{}}
	if h == nil {
		return v
	}
	v.LastCrawl, v.ConsecutiveFailures = h.LastCrawl, h.ConsecutiveFailures
	if h.Disabled {
		v.Reason, v.Since = h.Reason, h.Since
	}
	v.Protocols = views(h.Protocols, func(p store.ProtocolHealth) adminapi.ProtocolHealth {
		return adminapi.ProtocolHealth{Protocol: p.Protocol, LastSuccess: p.LastSuccess, LastFailure: p.LastFailure,
			LastReason: p.LastReason, LastDetail: p.LastDetail, ConsecutiveFailures: p.ConsecutiveFailures}
	})
	return v
}

func wirePropagation(p store.PropagationPoint) adminapi.PropagationPoint {
	return adminapi.PropagationPoint{Directory: p.Directory, At: p.At, SHA256: p.SHA256, Current: p.Current,
		Older: p.Older, Other: p.Other, Failed: p.Failed}
}

package admin

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"

	"github.com/metalinkd/metalinkd/internal/adminapi"
	"github.com/metalinkd/metalinkd/metalink"
	"github.com/metalinkd/metalinkd/store"
)

// errNoExplain answers GET /explain on an API that has no server's
// snapshot to explain (Options.Explain is nil).
var errNoExplain = &publicError{"explain is served only by metalinkd serve", store.ErrNotFound}

// explain answers GET /explain?repo=..&arch=.. (or path=; ip=, location=,
// country=, protocol=, ipv= as /metalink takes them): the answer's
// mirrors in order with the step that listed each, and every other mirror
// with the reason it was left out. Admin-only: it names private mirrors.
func (a *API) explain(w http.ResponseWriter, r *http.Request) error {
	if a.explainer == nil {
		return errNoExplain
	}
	q := metalink.ParseQuery(r.URL.RawQuery)
	var addr netip.Addr
	if q.IP != "" {
		var err error
		if addr, err = netip.ParseAddr(strings.TrimSpace(q.IP)); err != nil {
			return invalid("ip", "not an IP address")
		}
	}
	q.IP = "" // the address is the client's own here, not a claim
	e := a.explainer(&q, addr)
	out := adminapi.Explanation{Status: e.Status, Message: e.Message, Directory: e.Directory, Country: e.Country,
		ASN: e.ASN, Family: e.Family, Listed: []adminapi.ExplainedMirror{}, LeftOut: []adminapi.ExplainedMirror{}}
	if e.Message != "" {
		return writeJSON(w, http.StatusOK, out)
	}
	reported, err := a.reported(r, e.Directory)
	if err != nil {
		return err
	}
	current := ""
	if d, err := a.st.Directory(r.Context(), e.Directory); err == nil {
		current = d.Current.SHA256
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	for _, l := range e.Listed {
		m := adminapi.ExplainedMirror{Mirror: l.Mirror, Position: l.Position, Step: l.Step.String()}
		if sha, ok := reported[l.Mirror]; ok && current != "" && sha != current {
			m.Detail = adminapi.DetailOlder
		}
		out.Listed = append(out.Listed, m)
	}
	if out.LeftOut, err = a.leftOut(r, e, reported); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// reported maps each mirror that reported dir (or was seen serving it by
// the crawler) to the sha256 of the repomd.xml it serves.
func (a *API) reported(r *http.Request, dir string) (map[string]string, error) {
	reports, err := a.st.Freshness(r.Context(), "", dir)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, f := range reports {
		if f.Directory == dir {
			out[f.Mirror] = f.SHA256
		}
	}
	return out, nil
}

// leftOut is the wire form of e's mirrors left out, with those the
// snapshot does not hold (disabled by their admin or by the crawler)
// after them, from the store: a mirror that does not carry the directory
// is stale when it reported a repomd.xml of it that is no longer accepted.
func (a *API) leftOut(r *http.Request, e metalink.Explanation, reported map[string]string) ([]adminapi.ExplainedMirror, error) {
	ctx := r.Context()
	mirrors, err := a.st.Mirrors(ctx)
	if err != nil {
		return nil, err
	}
	health, err := a.st.Health(ctx, "")
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, l := range e.Listed {
		known[l.Mirror] = true
	}
	out := []adminapi.ExplainedMirror{}
	for _, l := range e.LeftOut {
		known[l.Mirror] = true
		m := adminapi.ExplainedMirror{Mirror: l.Mirror, Reason: l.Reason.String()}
		if sha, ok := reported[l.Mirror]; ok && l.Reason == metalink.ReasonNotCarried {
			m.Reason, m.Detail = adminapi.ReasonStale, sha
		}
		out = append(out, m)
	}
	why := map[string]string{}
	for _, h := range health {
		if h.Disabled {
			why[h.Mirror] = h.Reason
		}
	}
	for _, m := range mirrors {
		if known[m.Name] {
			continue
		}
		x := adminapi.ExplainedMirror{Mirror: m.Name, Reason: adminapi.ReasonNotInSnapshot}
		if reason, down := why[m.Name]; !m.Enabled {
			x.Reason = adminapi.ReasonDisabled
		} else if down {
			x.Reason, x.Detail = adminapi.ReasonCrawlerDisabled, reason
		}
		out = append(out, x)
	}
	return out, nil
}

// Explainer explains the answer to a query for a client at an address
// (invalid when none was given): Server.Explain.
type Explainer func(q *metalink.Query, addr netip.Addr) metalink.Explanation

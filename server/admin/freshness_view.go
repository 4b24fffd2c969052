package admin

import (
	"net/http"

	"github.com/metalinkd/metalinkd/internal/adminapi"
	"github.com/metalinkd/metalinkd/internal/freshness"
	"github.com/metalinkd/metalinkd/store"
)

// freshnessView answers GET /freshness[?stale=true]: every mirror's
// directories by state, with its stale ones listed, and per category the
// enabled mirrors by state. With stale=true only mirrors with at least one
// stale directory are listed.
func (a *API) freshnessView(w http.ResponseWriter, r *http.Request) error {
	var onlyStale bool
	switch r.URL.Query().Get("stale") {
	case "", "false":
	case "true":
		onlyStale = true
	default:
		return invalid("stale", "must be true or false")
	}
	ctx := r.Context()
	mirrors, err := a.st.Mirrors(ctx)
	if err != nil {
		return err
	}
	dirs, err := a.st.Directories(ctx, "")
	if err != nil {
		return err
	}
	reports, err := a.st.Freshness(ctx, "", "")
	if err != nil {
		return err
	}
	out := adminapi.FreshnessView{Mirrors: []adminapi.MirrorFreshness{}, Categories: []adminapi.CategoryFreshness{}}
	all := freshness.Count(mirrors, dirs, reports)
	for i, mt := range all.Mirrors {
		if onlyStale && mt.Directories.Stale() == 0 {
			continue
		}
		out.Mirrors = append(out.Mirrors, wireMirrorFreshness(&mirrors[i], mt))
	}
	var enabled []store.Mirror
	for _, m := range mirrors {
		if m.Enabled {
			enabled = append(enabled, m)
		}
	}
	for _, c := range freshness.Count(enabled, dirs, reports).Categories {
		out.Categories = append(out.Categories, adminapi.CategoryFreshness{Category: c.Name, Directories: c.Directories,
			Fresh: c.Mirrors.Fresh, Stale: c.Mirrors.Stale(), Unknown: c.Mirrors.Unknown})
	}
	return writeJSON(w, http.StatusOK, out)
}

func wireMirrorFreshness(m *store.Mirror, mt freshness.Mirror) adminapi.MirrorFreshness {
	v := adminapi.MirrorFreshness{Name: m.Name, Enabled: m.Enabled, AlwaysUpToDate: m.AlwaysUpToDate,
		Fresh: mt.Directories.Fresh, Stale: mt.Directories.Stale(), Unknown: mt.Directories.Unknown,
		StaleDirectories: []adminapi.StaleDirectory{}}
	listed := mt.Stale[:min(len(mt.Stale), adminapi.MaxStaleListed)]
	for _, s := range listed {
		v.StaleDirectories = append(v.StaleDirectories, adminapi.StaleDirectory{Directory: s.Directory, SHA256: s.SHA256,
			Reported: s.Reported.UTC(), Accepted: s.State == freshness.Alternate})
	}
	v.MoreStale = len(mt.Stale) - len(listed)
	return v
}

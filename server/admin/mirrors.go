package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"path"
	"slices"

	"github.com/metalinkd/metalinkd/internal/adminapi"
	"github.com/metalinkd/metalinkd/store"
)

// mirrorView is one mirror with the repomd versions it serves and its health.
type mirrorView = adminapi.MirrorDetail

// mirrorBody is a mirror as a request sends it. The freshness and health
// that GET shows are accepted and ignored, so that a fetched mirror can be
// edited and sent back; only reports and crawls change them.
type mirrorBody struct {
	adminapi.Mirror
	Freshness json.RawMessage `json:"freshness"`
	Health    json.RawMessage `json:"health"`
}

func errNoMirror(name string) error { return notFound("mirror %s not found", quote(name)) }

// listMirrors answers GET /mirrors: {"mirrors": [...]}.
func (a *API) listMirrors(w http.ResponseWriter, r *http.Request) error {
	ms, err := a.st.Mirrors(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, adminapi.MirrorList{Mirrors: views(ms, wireMirror)})
}

// getMirror answers GET /mirrors/{name}: the mirror and its freshness.
func (a *API) getMirror(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "name")
	m, err := a.st.Mirror(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return errNoMirror(name)
	}
	if err != nil {
		return err
	}
	fs, err := a.st.Freshness(r.Context(), name, "")
	if err != nil {
		return err
	}
	hs, err := a.st.Health(r.Context(), name)
	if err != nil {
		return err
	}
	var h *store.MirrorHealth
	if len(hs) > 0 {
		h = &hs[0]
	}
	health := wireHealth(&m, h)
	return writeJSON(w, http.StatusOK, mirrorView{Mirror: wireMirror(m), Freshness: views(fs, wireFreshness), Health: &health})
}

// createMirror answers POST /mirrors; enabled defaults to true, and an
// existing name is a conflict.
func (a *API) createMirror(w http.ResponseWriter, r *http.Request) error {
	body := mirrorBody{Mirror: adminapi.Mirror{Enabled: true}}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	m := storedMirror(body.Mirror)
	if err := a.st.CreateMirror(r.Context(), m); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return conflict("mirror %s already exists", quote(m.Name))
		}
		return mirrorError(err, m.Name)
	}
	store.NormalizeMirror(&m)
	w.Header().Set("Location", path.Join(r.URL.Path, url.PathEscape(m.Name)))
	return writeJSON(w, http.StatusCreated, wireMirror(m))
}

// replaceMirror answers PUT /mirrors/{name}: the body replaces the mirror
// (enabled defaults to true); the name cannot change.
func (a *API) replaceMirror(w http.ResponseWriter, r *http.Request) error {
	body := mirrorBody{Mirror: adminapi.Mirror{Enabled: true}}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	return a.updateMirror(w, r, func(old *store.Mirror) error { *old = storedMirror(body.Mirror); return nil })
}

// patchMirror answers PATCH /mirrors/{name}: the fields in the body replace
// the mirror's, the others stay.
func (a *API) patchMirror(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	return a.updateMirror(w, r, func(m *store.Mirror) error {
		b := mirrorBody{Mirror: wireMirror(*m)}
		if err := unmarshal(body, &b); err != nil {
			return err
		}
		*m = storedMirror(b.Mirror)
		return nil
	})
}

// enableMirror answers POST /mirrors/{name}/enable and …/disable.
func (a *API) enableMirror(enabled bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return a.updateMirror(w, r, func(m *store.Mirror) error { m.Enabled = enabled; return nil })
	}
}

// updateMirror changes an existing mirror with change and stores it, in one
// step of the store, so that updates through several replicas serialise.
func (a *API) updateMirror(w http.ResponseWriter, r *http.Request, change func(*store.Mirror) error) error {
	name := param(r, "name")
	m, err := a.st.UpdateMirror(r.Context(), name, func(m *store.Mirror) error {
		if err := change(m); err != nil {
			return err
		}
		switch m.Name {
		case "":
			m.Name = name
		case name:
		default:
			return invalid("name", "must be %s as in the path; a mirror cannot be renamed", quote(name))
		}
		return nil
	})
	if err != nil {
		var pe *publicError
		if errors.As(err, &pe) {
			return pe
		}
		return mirrorError(err, name)
	}
	return writeJSON(w, http.StatusOK, wireMirror(m))
}

// deleteMirror answers DELETE /mirrors/{name}; its freshness goes with it.
func (a *API) deleteMirror(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "name")
	if err := a.st.DeleteMirror(r.Context(), name); err != nil {
		return mirrorError(err, name)
	}
	// A report token must not come back to life with a new mirror of the same name.
	if err := a.revokeReportTokens(r.Context(), name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// revokeReportTokens revokes the tokens scoped to report for mirror name.
func (a *API) revokeReportTokens(ctx context.Context, name string) error {
	toks, err := a.tokens.ListTokens(ctx)
	if err != nil {
		return err
	}
	for _, t := range toks {
		if t.Revoked.IsZero() && slices.Contains(t.Scopes, store.ScopeReportPrefix+name) {
			err := a.tokens.RevokeToken(ctx, t.ID, a.now())
			a.index.invalidate()
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// mirrorError gives a store error about mirror name its public form.
func mirrorError(err error, name string) error {
	if errors.Is(err, store.ErrNotFound) {
		return errNoMirror(name)
	}
	return relative(err, name, mirrorField)
}

// nonNil returns s, or an empty slice for nil, so that lists are [] in JSON.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

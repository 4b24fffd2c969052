package admin

import (
	"errors"
	"net/http"
	"net/url"
	"path"

	"github.com/metalinkd/metalinkd/internal/adminapi"
	"github.com/metalinkd/metalinkd/store"
)

// listRedirects answers GET /redirects: {"redirects": [...]}.
func (a *API) listRedirects(w http.ResponseWriter, r *http.Request) error {
	rds, err := a.st.Redirects(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, adminapi.RedirectList{Redirects: views(rds, wireRedirect)})
}

// createRedirect answers POST /redirects: {"from": "fedora-45", "to":
// "rawhide"}. A prefix already redirected is a conflict.
func (a *API) createRedirect(w http.ResponseWriter, r *http.Request) error {
	var body adminapi.Redirect
	if err := decode(w, r, &body); err != nil {
		return err
	}
	rd := storedRedirect(body)
	if err := a.st.CreateRedirect(r.Context(), rd); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return conflict("%s is already redirected; delete that redirect first", quote(rd.From))
		}
		return relative(err, rd.From, redirectField)
	}
	w.Header().Set("Location", path.Join(r.URL.Path, url.PathEscape(rd.From)))
	return writeJSON(w, http.StatusCreated, wireRedirect(rd))
}

// deleteRedirect answers DELETE /redirects/{from}.
func (a *API) deleteRedirect(w http.ResponseWriter, r *http.Request) error {
	from := param(r, "from")
	err := a.st.DeleteRedirect(r.Context(), from)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no redirect from %s", quote(from))
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

package admin

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"path"
	"slices"

	"github.com/metalinkd/metalinkd/internal/adminapi"
	"github.com/metalinkd/metalinkd/store"
)

// locationView is a location with the mirrors registered for it.
type locationView = adminapi.LocationDetail

// locationBody is a location as a request sends it; the mirrors that GET
// shows are accepted and ignored (a mirror's locations name them).
type locationBody struct {
	adminapi.Location
	Mirrors json.RawMessage `json:"mirrors"`
}

func errNoLocation(name string) error { return notFound("location %s not found", quote(name)) }

// listLocations answers GET /locations: {"locations": [...]}.
func (a *API) listLocations(w http.ResponseWriter, r *http.Request) error {
	ls, err := a.st.Locations(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, adminapi.LocationList{Locations: views(ls, wireLocation)})
}

// getLocation answers GET /locations/{name}: the location and its mirrors.
func (a *API) getLocation(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "name")
	l, err := a.st.Location(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return errNoLocation(name)
	}
	if err != nil {
		return err
	}
	ms, err := a.st.Mirrors(r.Context())
	if err != nil {
		return err
	}
	v := locationView{Location: wireLocation(l), Mirrors: []string{}}
	for _, m := range ms {
		if slices.Contains(m.Locations, name) {
			v.Mirrors = append(v.Mirrors, m.Name)
		}
	}
	return writeJSON(w, http.StatusOK, v)
}

// createLocation answers POST /locations; an existing name is a conflict.
func (a *API) createLocation(w http.ResponseWriter, r *http.Request) error {
	var body locationBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	l := storedLocation(body.Location)
	if err := a.st.CreateLocation(r.Context(), l); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return conflict("location %s already exists", quote(l.Name))
		}
		return relative(err, l.Name, locationField)
	}
	w.Header().Set("Location", path.Join(r.URL.Path, url.PathEscape(l.Name)))
	return writeJSON(w, http.StatusCreated, wireLocation(l))
}

// replaceLocation answers PUT /locations/{name}: a new description and
// cloud regions for an existing location.
func (a *API) replaceLocation(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "name")
	var body locationBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	l := storedLocation(body.Location)
	if l.Name == "" {
		l.Name = name
	} else if l.Name != name {
		return invalid("name", "must be %s as in the path; a location cannot be renamed", quote(name))
	}
	l, err := a.st.UpdateLocation(r.Context(), name, func(old *store.Location) error { *old = l; return nil })
	if errors.Is(err, store.ErrNotFound) {
		return errNoLocation(name)
	}
	if err != nil {
		return relative(err, name, locationField)
	}
	return writeJSON(w, http.StatusOK, wireLocation(l))
}

// deleteLocation answers DELETE /locations/{name}; a location that a
// mirror still names is a conflict.
func (a *API) deleteLocation(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "name")
	err := a.st.DeleteLocation(r.Context(), name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errNoLocation(name)
	case errors.Is(err, store.ErrConflict):
		return conflict("location %s is still named by a mirror; remove it from the mirror's locations first", quote(name))
	case err != nil:
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

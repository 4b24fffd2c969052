package admin

import (
	"net/http"

	"github.com/metalinkd/metalinkd/internal/adminapi"
	"github.com/metalinkd/metalinkd/store"
)

// getOverrides answers GET /overrides: the netblock → country and country
// → continent overrides.
func (a *API) getOverrides(w http.ResponseWriter, r *http.Request) error {
	o, err := a.st.Overrides(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wireOverrides(o))
}

// putOverrides answers PUT /overrides: the body's two lists replace the
// stored ones as a whole (an absent list empties it); a bad entry refuses
// the whole body.
func (a *API) putOverrides(w http.ResponseWriter, r *http.Request) error {
	var body adminapi.Overrides
	if err := decode(w, r, &body); err != nil {
		return err
	}
	o := storedOverrides(body)
	if err := a.st.ReplaceOverrides(r.Context(), o); err != nil {
		return err
	}
	store.NormalizeOverrides(o.NetblockCountries, o.CountryContinents)
	return writeJSON(w, http.StatusOK, wireOverrides(o))
}

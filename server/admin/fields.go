package admin

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/metalinkd/metalinkd/store"
)

// param returns a path parameter, percent-decoded.
func param(r *http.Request, key string) string {
	v := chi.URLParam(r, key)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

func quote(s string) string { return strconv.Quote(s) }

// Prefixes of the field paths that stores give for one entry of each kind:
// the embedded store validates the whole dataset ("mirrors[7].bandwidth"),
// the PostgreSQL store one entry ("mirror.bandwidth", "locations[0].name").
var (
	mirrorField     = regexp.MustCompile(`^(mirror|mirrors\[\d+\])\.`)
	locationField   = regexp.MustCompile(`^locations\[\d+\]\.`)
	repositoryField = regexp.MustCompile(`^repositories\[\d+\]\.`)
	redirectField   = regexp.MustCompile(`^redirects\[\d+\]\.`)
)

// relative rewrites the field paths of a store validation error about one
// entry into paths of the request body ("mirrors[7].bandwidth" becomes
// "bandwidth"), so that a client sees the names it sent. Other errors
// pass unchanged.
func relative(err error, entry string, prefix *regexp.Regexp) error {
	var ve *store.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	out := &store.ValidationError{Fields: make([]store.FieldError, len(ve.Fields))}
	for i, f := range ve.Fields {
		if f.Entry == entry {
			if loc := prefix.FindStringIndex(f.Field); loc != nil {
				f.Field = f.Field[loc[1]:]
			}
		}
		out.Fields[i] = f
	}
	return out
}

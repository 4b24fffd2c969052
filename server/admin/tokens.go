package admin

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// tokenView is a token as the API shows it: never its hash.
type tokenView struct {
	ID      string     `json:"id"`
	Name    string     `json:"name"`
	Scopes  []string   `json:"scopes"`
	Created time.Time  `json:"created"`
	Revoked *time.Time `json:"revoked,omitempty"`
	// Secret is set only in the answer that creates the token.
	Secret string `json:"secret,omitempty"`
}

// viewToken returns the public form of a token.
func viewToken(t store.Token) tokenView {
	v := tokenView{ID: t.ID, Name: t.Name, Scopes: nonNil(t.Scopes), Created: t.Created}
	if !t.Revoked.IsZero() {
		rev := t.Revoked
		v.Revoked = &rev
	}
	return v
}

// listTokens answers GET /tokens: {"tokens": [...]}, without secrets.
func (a *API) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := a.tokens.ListTokens(r.Context())
	if err != nil {
		return err
	}
	out := make([]tokenView, len(ts))
	for i, t := range ts {
		out[i] = viewToken(t)
	}
	return writeJSON(w, http.StatusOK, map[string][]tokenView{"tokens": out})
}

// tokenBody asks for a new token.
type tokenBody struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// createToken answers POST /tokens with the new token and its secret,
// which is shown this once and never again.
func (a *API) createToken(w http.ResponseWriter, r *http.Request) error {
	var in tokenBody
	if err := decode(w, r, &in); err != nil {
		return err
	}
	secret, tok, err := IssueToken(r.Context(), a.st, a.tokens, in.Name, in.Scopes, a.now())
	if err != nil {
		return err
	}
	v := viewToken(tok)
	v.Secret = secret
	w.Header().Set("Location", path.Join(r.URL.Path, url.PathEscape(tok.ID)))
	return writeJSON(w, http.StatusCreated, v)
}

// revokeToken answers DELETE /tokens/{id}: the token stops working at once.
func (a *API) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id := param(r, "id")
	err := a.tokens.RevokeToken(r.Context(), id, a.now())
	if errors.Is(err, store.ErrNotFound) {
		return notFound("token %s not found", quote(id))
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Audit paging bounds.
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

// auditPage is one page of the audit log, newest first; Next is the
// before= value of the following page, absent on the last one.
type auditPage struct {
	Entries []store.AuditEntry `json:"entries"`
	Next    int64              `json:"next,omitempty"`
}

// listAudit answers GET /audit?limit=&before=: who changed what, and when.
func (a *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, before := defaultAuditLimit, int64(0)
	var fields []store.FieldError
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxAuditLimit {
			fields = append(fields, store.FieldError{Field: "limit", Msg: "must be a number from 1 to " + strconv.Itoa(maxAuditLimit)})
		}
		limit = n
	}
	if s := q.Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			fields = append(fields, store.FieldError{Field: "before", Msg: "must be the positive id of an audit entry"})
		}
		before = n
	}
	if fields != nil {
		return &store.ValidationError{Fields: fields}
	}
	entries, err := a.tokens.ListAudit(r.Context(), limit, before)
	if err != nil {
		return err
	}
	page := auditPage{Entries: nonNil(entries)}
	if len(entries) == limit {
		page.Next = entries[len(entries)-1].ID
	}
	return writeJSON(w, http.StatusOK, page)
}

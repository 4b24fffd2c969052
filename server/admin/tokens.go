package admin

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"strconv"

	"github.com/metalinkd/metalinkd/internal/adminapi"
	"github.com/metalinkd/metalinkd/store"
)

// tokenView is a token as the API shows it: never its hash.
type tokenView = adminapi.Token

// listTokens answers GET /tokens: {"tokens": [...]}, without secrets.
func (a *API) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := a.tokens.ListTokens(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, adminapi.TokenList{Tokens: views(ts, wireToken)})
}

// createToken answers POST /tokens with the new token and its secret,
// which is shown this once and never again.
func (a *API) createToken(w http.ResponseWriter, r *http.Request) error {
	var in adminapi.NewToken
	if err := decode(w, r, &in); err != nil {
		return err
	}
	secret, tok, err := IssueToken(r.Context(), a.st, a.tokens, in.Name, in.Scopes, a.now())
	a.index.invalidate() // the new token works at once on this replica
	if err != nil {
		return err
	}
	v := wireToken(tok)
	v.Secret = secret
	w.Header().Set("Location", path.Join(r.URL.Path, url.PathEscape(tok.ID)))
	return writeJSON(w, http.StatusCreated, v)
}

// revokeToken answers DELETE /tokens/{id}: the token stops working at once.
func (a *API) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id := param(r, "id")
	err := a.tokens.RevokeToken(r.Context(), id, a.now())
	a.index.invalidate() // the token stops working at once on this replica
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

// auditPage is one page of the audit log, newest first.
type auditPage = adminapi.AuditPage

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
	page := auditPage{Entries: views(entries, wireAudit)}
	if len(entries) == limit {
		page.Next = entries[len(entries)-1].ID
	}
	return writeJSON(w, http.StatusOK, page)
}

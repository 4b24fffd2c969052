package admin

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/metalinkd/metalinkd/internal/requestid"
	"github.com/metalinkd/metalinkd/store"
)

type tokenKey struct{}

// requestID returns the request's id in the answer, so that a client can
// quote it next to a 500. The server's middleware has usually put the id
// in the context; served alone, the API makes one the same way.
func (a *API) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, id := requestid.Ensure(r)
		w.Header().Set(requestid.Header, id)
		next.ServeHTTP(w, r)
	})
}

var (
	errTokenInQuery = &publicError{"send the token in the Authorization header (Authorization: Bearer <token>), never in the URL", store.ErrInvalid}
	errNoToken      = &publicError{"a bearer token is required (Authorization: Bearer <token>)", store.ErrUnauthorized}
	errBadToken     = &publicError{"the token is not valid", store.ErrUnauthorized}
	errRevokedToken = &publicError{"the token has been revoked", store.ErrUnauthorized}
	errNotAdmin     = &publicError{"this token's scopes do not allow this request", ErrForbidden}
)

// authenticate finds the token of the request's bearer secret and puts it,
// and the actor recorded in the audit log, in the request context. A
// missing, unknown or revoked token gets 401; a client that sent too many
// unknown or revoked ones gets 429 until its failure window ends, before
// any lookup. A token in the query string gets 400, since URLs end up in
// logs and histories.
func (a *API) authenticate(next http.Handler) http.Handler {
	return a.middleware(func(w http.ResponseWriter, r *http.Request) (*http.Request, error) {
		if tokenInQuery(r.URL.Query()) {
			return nil, errTokenInQuery
		}
		client := clientKey(a.clientAddr(r))
		if wait := a.failures.blocked(client, a.now()); wait > 0 {
			return nil, &tooManyFailures{wait}
		}
		scheme, secret, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
			return nil, errNoToken
		}
		hash := HashSecret(strings.TrimSpace(secret))
		tok, err := a.index.lookup(r.Context(), hash)
		switch {
		case errors.Is(err, store.ErrNotFound):
			a.failures.fail(client, a.now())
			return nil, errBadToken
		case err != nil:
			return nil, err
		case subtle.ConstantTimeCompare(tok.Hash, hash) != 1:
			a.failures.fail(client, a.now())
			return nil, errBadToken
		case !tok.Revoked.IsZero():
			a.failures.fail(client, a.now())
			return nil, errRevokedToken
		}
		ctx := context.WithValue(r.Context(), tokenKey{}, tok)
		ctx = store.WithActor(ctx, "token:"+tok.ID)
		return r.WithContext(ctx), nil
	}, next)
}

// tokenParams are query parameters that clients commonly use for a token.
var tokenParams = []string{"access_token", "token", "bearer", "api_key", "apikey", "auth", "authorization", "secret"}

// tokenInQuery reports whether q carries something that looks like a
// token: a parameter named like one, or a value with the secret prefix.
func tokenInQuery(q url.Values) bool {
	for name, values := range q {
		if slices.Contains(tokenParams, strings.ToLower(name)) {
			return true
		}
		for _, v := range values {
			if strings.Contains(v, SecretPrefix) {
				return true
			}
		}
	}
	return false
}

// tooManyFailures is the answer to a client whose failure budget is spent.
type tooManyFailures struct{ wait time.Duration }

func (e *tooManyFailures) Error() string {
	return "too many requests with an invalid token from this address; retry later"
}
func (e *tooManyFailures) Unwrap() error { return errTooManyRequests }

// retryAfter is the Retry-After value of e: whole seconds, rounded up.
func (e *tooManyFailures) retryAfter() string {
	return strconv.Itoa(int((e.wait + time.Second - 1) / time.Second))
}

// adminOnly lets through tokens with the admin scope only.
func (a *API) adminOnly(next http.Handler) http.Handler {
	return a.middleware(func(w http.ResponseWriter, r *http.Request) (*http.Request, error) {
		if !tokenOf(r).has(store.ScopeAdmin) {
			return nil, errNotAdmin
		}
		return r, nil
	}, next)
}

// mirrorScope lets through admin tokens and the report token of the mirror
// named in the path.
func (a *API) mirrorScope(next http.Handler) http.Handler {
	return a.middleware(func(w http.ResponseWriter, r *http.Request) (*http.Request, error) {
		tok := tokenOf(r)
		if !tok.has(store.ScopeAdmin) && !tok.has(store.ScopeReportPrefix+param(r, "name")) {
			return nil, &publicError{"this token may not report for mirror " + quote(param(r, "name")), ErrForbidden}
		}
		return r, nil
	}, next)
}

// middleware builds a middleware from a check that returns the request to
// pass on or an error to answer with.
func (a *API) middleware(check func(http.ResponseWriter, *http.Request) (*http.Request, error), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2, err := check(w, r)
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r2)
	})
}

// scopes is the authenticated token's scope list.
type scopes []string

func (s scopes) has(scope string) bool { return slices.Contains(s, scope) }

// tokenOf returns the scopes of the request's token; none when the request
// was not authenticated, so that a route wrongly placed outside
// authenticate allows nothing.
func tokenOf(r *http.Request) scopes {
	tok, ok := r.Context().Value(tokenKey{}).(store.Token)
	if !ok {
		return nil
	}
	return tok.Scopes
}

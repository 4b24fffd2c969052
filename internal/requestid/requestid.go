// Package requestid gives each HTTP request an id, kept in the request's
// context, so that the server's access log, its panic log and the admin
// API's error log and answers all name a request the same way.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync/atomic"
)

// Header is the request and response header that carries the id.
const Header = "X-Request-Id"

type key struct{}

// NewContext returns a copy of ctx that carries id.
func NewContext(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// FromContext returns the id ctx carries, or "" when it has none.
func FromContext(ctx context.Context) string {
	id, _ := ctx.Value(key{}).(string)
	return id
}

// Ensure returns r with an id in its context and that id: the one the
// context already carries, else the caller's (a proxy's) X-Request-Id when
// Valid, else a new one.
func Ensure(r *http.Request) (*http.Request, string) {
	if id := FromContext(r.Context()); id != "" {
		return r, id
	}
	id := Pick(r)
	return r.WithContext(NewContext(r.Context(), id)), id
}

// Pick returns the id a request should have: the caller's (a proxy's)
// X-Request-Id when Valid, else a new one. It does not touch the context,
// which costs a copy of the request, for a handler that needs none.
func Pick(r *http.Request) string {
	if id := r.Header.Get(Header); Valid(id) {
		return id
	}
	return New()
}

// ids makes request ids: a random per-process prefix and a counter, unique
// across replicas for practical purposes, without a system call per request.
var ids = struct {
	prefix string
	n      atomic.Uint64
}{prefix: randomPrefix()}

func randomPrefix() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:]) + "-"
}

// New returns a new request id.
func New() string {
	return ids.prefix + strconv.FormatUint(ids.n.Add(1), 36)
}

// Valid accepts a caller's request id of 1 to 64 characters from
// [A-Za-z0-9._-], so that it is safe in logs and headers.
func Valid(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

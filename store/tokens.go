package store

import (
	"context"
	"encoding/json"
	"time"
)

// Token scopes.
const (
	ScopeAdmin        = "admin"   // everything
	ScopeReportPrefix = "report:" // report:<mirror>: that mirror's freshness reports and forgets only
)

// Token is an admin API credential. Only the SHA-256 of its secret is
// stored; the secret is shown once, when it is created.
type Token struct {
	ID      string    `json:"id" yaml:"id"`
	Name    string    `json:"name" yaml:"name"`
	Hash    []byte    `json:"hash" yaml:"hash"` // SHA-256 of the secret
	Scopes  []string  `json:"scopes" yaml:"scopes"`
	Created time.Time `json:"created" yaml:"created"`
	// Revoked is when the token was revoked; zero while it is valid.
	Revoked time.Time `json:"revoked,omitempty" yaml:"revoked,omitempty"`
}

// AuditEntry records one change: who made it, when, and what.
type AuditEntry struct {
	ID     int64           `json:"id"`
	At     time.Time       `json:"at"`
	Actor  string          `json:"actor"`
	Action string          `json:"action"`
	Target string          `json:"target"`
	Detail json.RawMessage `json:"detail,omitempty"`
}

// Tokens stores admin API tokens. Both stores implement it beside Store.
type Tokens interface {
	// CreateToken stores a new token; ErrConflict when its ID or hash exists.
	CreateToken(ctx context.Context, t Token) error
	// TokenByHash returns the token whose secret hashes to hash, revoked or
	// not; ErrNotFound when there is none.
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	ListTokens(ctx context.Context) ([]Token, error)
	// RevokeToken marks a token revoked at time at; ErrNotFound when unknown.
	RevokeToken(ctx context.Context, id string, at time.Time) error
	// ListAudit returns up to limit audit entries with ID below before (0:
	// the newest), newest first.
	ListAudit(ctx context.Context, limit int, before int64) ([]AuditEntry, error)
}

type actorKey struct{}

// WithActor returns a context naming who makes the changes done with it;
// every store records each change in the audit log with that actor.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// Actor returns the actor of ctx, or "cli" when none was set.
func Actor(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return "cli"
}

// NewAuditEntry builds the audit entry of a change made with ctx. A
// Change detail records the fields that differ between its two sides; any
// other detail (a summary such as counts) is recorded as it is. Either way
// each value is cut to MaxAuditValue bytes of JSON, so that an entry costs
// what the change means rather than what the request weighed.
func NewAuditEntry(ctx context.Context, at time.Time, action, target string, detail any) AuditEntry {
	e := AuditEntry{At: at.UTC(), Actor: Actor(ctx), Action: action, Target: target}
	var v any
	if c, ok := detail.(Change); ok {
		if f := c.fields(); f != nil {
			v = f
		}
	} else if detail != nil {
		v = capFields(detail)
	}
	if v != nil {
		if b, err := json.Marshal(v); err == nil {
			e.Detail = b
		}
	}
	return e
}

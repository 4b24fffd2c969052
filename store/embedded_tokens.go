package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"
)

// CreateToken implements Tokens.
func (e *Embedded) CreateToken(ctx context.Context, t Token) error {
	return e.locked(ctx, func(doc *embeddedDoc) error {
		for _, x := range doc.Tokens {
			if x.ID == t.ID || bytes.Equal(x.Hash, t.Hash) {
				return fmt.Errorf("token %q: %w", t.ID, ErrConflict)
			}
		}
		doc.Tokens = append(doc.Tokens, t)
		e.audit(ctx, doc, "create_token", t.ID, map[string]any{"name": t.Name, "scopes": t.Scopes})
		return nil
	})
}

// TokenByHash implements Tokens.
func (e *Embedded) TokenByHash(ctx context.Context, hash []byte) (Token, error) {
	doc, err := e.read()
	if err != nil {
		return Token{}, err
	}
	for _, t := range doc.Tokens {
		if bytes.Equal(t.Hash, hash) {
			return t, nil
		}
	}
	return Token{}, fmt.Errorf("token: %w", ErrNotFound)
}

// ListTokens implements Tokens.
func (e *Embedded) ListTokens(ctx context.Context) ([]Token, error) {
	doc, err := e.read()
	if err != nil {
		return nil, err
	}
	return doc.Tokens, nil
}

// RevokeToken implements Tokens.
func (e *Embedded) RevokeToken(ctx context.Context, id string, at time.Time) error {
	return e.locked(ctx, func(doc *embeddedDoc) error {
		i := slices.IndexFunc(doc.Tokens, func(t Token) bool { return t.ID == id })
		if i < 0 {
			return fmt.Errorf("token %q: %w", id, ErrNotFound)
		}
		if doc.Tokens[i].Revoked.IsZero() {
			doc.Tokens[i].Revoked = at.UTC()
		}
		e.audit(ctx, doc, "revoke_token", id, nil)
		return nil
	})
}

// ListAudit implements Tokens.
func (e *Embedded) ListAudit(ctx context.Context, limit int, before int64) ([]AuditEntry, error) {
	doc, err := e.read()
	if err != nil {
		return nil, err
	}
	var out []AuditEntry
	for i := len(doc.Audit) - 1; i >= 0 && len(out) < limit; i-- {
		if before == 0 || doc.Audit[i].ID < before {
			out = append(out, doc.Audit[i])
		}
	}
	return out, nil
}

var _ Tokens = (*Embedded)(nil)

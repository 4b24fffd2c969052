package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/metalinkd/metalinkd/store"
)

var _ store.Tokens = (*Store)(nil)

// tokenColumns are read by scanToken, in its order.
const tokenColumns = `id, name, hash, scopes, created_at, revoked_at`

func scanToken(row pgx.CollectableRow) (store.Token, error) {
	var t store.Token
	var revoked *time.Time
	err := row.Scan(&t.ID, &t.Name, &t.Hash, &t.Scopes, &t.Created, &revoked)
	if revoked != nil {
		t.Revoked = *revoked
	}
	if len(t.Scopes) == 0 {
		t.Scopes = nil
	}
	return t, err
}

// CreateToken implements store.Tokens. A taken ID or hash is store.ErrConflict.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	defer s.bound(&ctx, s.timeouts.Write)()
	scopes := t.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	detail := map[string]any{"name": t.Name, "scopes": t.Scopes}
	err := s.write(ctx, change{"create_token", t.ID, detail}, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO tokens (id, name, hash, scopes, created_at, revoked_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, t.ID, t.Name, t.Hash, scopes, t.Created, nullTime(t.Revoked))
		return err
	})
	return wrap(err, "token %q", t.ID)
}

// TokenByHash implements store.Tokens. It returns revoked tokens too, and
// records when the token was last presented.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	defer s.bound(&ctx, s.timeouts.Read)()
	rows, _ := s.pool.Query(ctx, `UPDATE tokens SET last_used_at = now() WHERE hash = $1 RETURNING `+tokenColumns, hash)
	t, err := pgx.CollectExactlyOneRow(rows, scanToken)
	return t, wrap(err, "token")
}

// ListTokens implements store.Tokens, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]store.Token, error) {
	defer s.bound(&ctx, s.timeouts.Read)()
	rows, _ := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM tokens ORDER BY created_at, id COLLATE "C"`)
	ts, err := pgx.CollectRows(rows, scanToken)
	return ts, wrap(err, "listing tokens")
}

// RevokeToken implements store.Tokens. Revoking again keeps the first time.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	defer s.bound(&ctx, s.timeouts.Write)()
	err := s.write(ctx, change{"revoke_token", id, nil}, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1`, id, at.UTC())
		if err == nil && tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		return err
	})
	return wrap(err, "token %q", id)
}

// ListAudit implements store.Tokens: up to limit entries with an ID below
// before (any ID when before is 0), newest first.
func (s *Store) ListAudit(ctx context.Context, limit int, before int64) ([]store.AuditEntry, error) {
	defer s.bound(&ctx, s.timeouts.Read)()
	rows, _ := s.pool.Query(ctx, `SELECT id, at, actor, action, target, detail FROM audit
		WHERE $2 = 0 OR id < $2 ORDER BY id DESC LIMIT $1`, max(limit, 0), before)
	es, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.AuditEntry, error) {
		var e store.AuditEntry
		var detail []byte
		err := row.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Target, &detail)
		if detail != nil {
			e.Detail = detail
		}
		return e, err
	})
	return es, wrap(err, "listing the audit log")
}

// nullTime is NULL for the zero time.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

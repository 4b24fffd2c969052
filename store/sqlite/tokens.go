package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

var _ store.Tokens = (*Store)(nil)

// tokenColumns are read by scanToken, in its order.
const tokenColumns = `id, name, hash, scopes, created_at, revoked_at`

func scanToken(r interface{ Scan(...any) error }) (store.Token, error) {
	var t store.Token
	var scopes string
	var created int64
	var revoked sql.NullInt64
	if err := r.Scan(&t.ID, &t.Name, &t.Hash, &scopes, &created, &revoked); err != nil {
		return t, err
	}
	t.Created = fromMicros(created)
	if revoked.Valid {
		t.Revoked = fromMicros(revoked.Int64)
	}
	if err := json.Unmarshal([]byte(scopes), &t.Scopes); err != nil {
		return t, err
	}
	if len(t.Scopes) == 0 {
		t.Scopes = nil
	}
	return t, nil
}

// CreateToken implements store.Tokens. A taken ID or hash is store.ErrConflict.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	detail := map[string]any{"name": t.Name, "scopes": t.Scopes}
	err := s.write(ctx, change{"create_token", t.ID, detail}, func(tx *sql.Tx) error { return insertToken(ctx, tx, t) })
	return wrap(err, "token %q", t.ID)
}

func insertToken(ctx context.Context, tx *sql.Tx, t store.Token) error {
	scopes, err := json.Marshal(t.Scopes)
	if err != nil {
		return err
	}
	if t.Scopes == nil {
		scopes = []byte("[]")
	}
	var revoked sql.NullInt64
	if !t.Revoked.IsZero() {
		revoked = sql.NullInt64{Int64: micros(t.Revoked), Valid: true}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO tokens (id, name, hash, scopes, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)`,
		t.ID, t.Name, t.Hash, string(scopes), micros(t.Created), revoked)
	return err
}

// TokenByHash implements store.Tokens. It returns revoked tokens too, and
// records when the token was last presented.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (t store.Token, err error) {
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		t, err = scanToken(tx.QueryRowContext(ctx, `UPDATE tokens SET last_used_at = ? WHERE hash = ? RETURNING `+tokenColumns,
			micros(time.Now()), hash))
		return err
	})
	return t, wrap(err, "token")
}

// ListTokens implements store.Tokens, oldest first.
func (s *Store) ListTokens(ctx context.Context) (ts []store.Token, err error) {
	err = s.read(ctx, func(tx *sql.Tx) error {
		ts, err = collect(ctx, tx, func(r *sql.Rows) (store.Token, error) { return scanToken(r) },
			`SELECT `+tokenColumns+` FROM tokens ORDER BY created_at, id`)
		return err
	})
	return ts, wrap(err, "listing tokens")
}

// RevokeToken implements store.Tokens. Revoking again keeps the first time.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	err := s.write(ctx, change{"revoke_token", id, nil}, func(tx *sql.Tx) error {
		return updateOne(ctx, tx, `UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`, micros(at), id)
	})
	return wrap(err, "token %q", id)
}

// updateOne runs an UPDATE that must change exactly one row.
func updateOne(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	return deleteOne(ctx, tx, query, args...)
}

// ListAudit implements store.Tokens: up to limit entries with an ID below
// before (any ID when before is 0), newest first.
func (s *Store) ListAudit(ctx context.Context, limit int, before int64) (es []store.AuditEntry, err error) {
	err = s.read(ctx, func(tx *sql.Tx) error {
		es, err = collect(ctx, tx, func(r *sql.Rows) (e store.AuditEntry, err error) {
			var at int64
			var detail sql.NullString
			err = r.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &detail)
			e.At = fromMicros(at)
			if detail.Valid {
				e.Detail = json.RawMessage(detail.String)
			}
			return e, err
		}, `SELECT id, at, actor, action, target, detail FROM audit
			WHERE ?2 = 0 OR id < ?2 ORDER BY id DESC LIMIT ?1`, max(limit, 0), before)
		return err
	})
	return es, wrap(err, "listing the audit log")
}

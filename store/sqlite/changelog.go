package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/metalinkd/metalinkd/store"
)

// ChangeSeq implements store.ChangeLog.
func (s *Store) ChangeSeq(ctx context.Context) (int64, error) {
	var n int64
	err := s.read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM change_log`).Scan(&n)
	})
	if err != nil {
		return 0, wrap(err, "reading the change log")
	}
	return n, nil
}

// ChangesSince implements store.ChangeLog. The change_log migration's
// triggers write the log.
func (s *Store) ChangesSince(ctx context.Context, since int64) (*store.ChangeSet, error) {
	var cs *store.ChangeSet
	err := s.read(ctx, func(tx *sql.Tx) (err error) {
		cs, err = changesSince(ctx, tx, since)
		return err
	})
	if err != nil {
		return nil, wrap(err, "reading the changes after %d", since)
	}
	return cs, nil
}

func changesSince(ctx context.Context, tx *sql.Tx, since int64) (*store.ChangeSet, error) {
	var floor, through, n int64
	err := tx.QueryRowContext(ctx, `SELECT (SELECT seq FROM change_log_floor WHERE id = 1),
		(SELECT coalesce(max(seq), 0) FROM change_log), (SELECT count(*) FROM change_log WHERE seq > ?1)`, since).Scan(&floor, &through, &n)
	if err != nil {
		return nil, err
	}
	cs := &store.ChangeSet{Since: since, Through: through}
	if through == since {
		return cs, nil
	}
	if since < floor || through < since || n > store.MaxPatchChanges {
		cs.Full = true
		return cs, nil
	}
	entries, err := collect(ctx, tx, func(r *sql.Rows) (e store.ChangeEntry, err error) {
		err = r.Scan(&e.Seq, &e.Kind, &e.Mirror, &e.Directory)
		return e, err
	}, `SELECT seq, kind, mirror, directory FROM change_log WHERE seq > ? AND seq <= ? ORDER BY seq`, since, through)
	if err != nil {
		return nil, err
	}
	mirrors, pairs, full := store.Touched(entries)
	if full {
		cs.Full = true
		return cs, nil
	}
	for _, name := range mirrors {
		c, err := mirrorChange(ctx, tx, name)
		if err != nil {
			return nil, err
		}
		cs.Mirrors = append(cs.Mirrors, c)
	}
	for _, p := range pairs {
		f := store.FreshnessChange{Mirror: p[0], Directory: p[1]}
		err := tx.QueryRowContext(ctx, `SELECT sha256 FROM freshness WHERE mirror = ? AND directory = ?`, p[0], p[1]).Scan(&f.SHA256)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		cs.Freshness = append(cs.Freshness, f)
	}
	return cs, nil
}

// mirrorChange reads the current state of a mirror named in the log.
func mirrorChange(ctx context.Context, tx *sql.Tx, name string) (store.MirrorChange, error) {
	c := store.MirrorChange{Name: name}
	ms, err := loadMirrors(ctx, tx, name)
	if err != nil || len(ms) == 0 {
		return c, err
	}
	c.Mirror = &ms[0]
	hs, err := loadHealth(ctx, tx, name)
	if err != nil {
		return c, err
	}
	c.CrawlerDisabled = len(hs) > 0 && hs[0].Disabled
	c.Freshness, err = loadFreshness(ctx, tx, name, "")
	return c, err
}

// quietly runs fn, a bulk write, with the change log's triggers held back,
// and logs one change to everything instead of one entry per row.
func quietly(ctx context.Context, tx *sql.Tx, fn func() error) error {
	if _, err := tx.ExecContext(ctx, `UPDATE change_log_quiet SET quiet = 1 WHERE id = 1`); err != nil {
		return err
	}
	if err := fn(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE change_log_quiet SET quiet = 0 WHERE id = 1`); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO change_log (kind) VALUES ('all')`)
	return err
}

package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// LockFileName is the crawl lock's file in the data directory.
const LockFileName = "crawl.lock"

// RecordCrawl implements store.CrawlStore with store.ApplyCrawl, in one
// write transaction. Only a result that changes freshness, or takes the
// mirror out of answers or brings it back, moves the generation that
// Changes signals and is recorded in the audit log.
func (s *Store) RecordCrawl(ctx context.Context, r store.CrawlResult, p store.CrawlPolicy) (store.CrawlOutcome, error) {
	if err := store.ValidateCrawlResult(&r); err != nil {
		return store.CrawlOutcome{}, wrap(err, "crawl of %q", r.Mirror)
	}
	var plan store.CrawlPlan
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		st, err := loadCrawlState(ctx, tx, &r)
		if err != nil {
			return err
		}
		plan = store.ApplyCrawl(st, &r, p)
		if err := writeCrawlPlan(ctx, tx, r.Mirror, &plan); err != nil {
			return err
		}
		if !plan.Changed() {
			return nil
		}
		if err := bump(ctx, tx); err != nil {
			return err
		}
		return s.audit(ctx, tx, store.NewAuditEntry(ctx, time.Now(), "crawl", r.Mirror, plan.Outcome))
	})
	if err != nil {
		return store.CrawlOutcome{}, wrap(err, "crawl of %q", r.Mirror)
	}
	return plan.Outcome, nil
}

// loadCrawlState reads what ApplyCrawl needs of the mirror r crawled.
func loadCrawlState(ctx context.Context, tx *sql.Tx, r *store.CrawlResult) (*store.CrawlState, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM mirrors WHERE name = ?`, r.Mirror).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("mirror %q: %w", r.Mirror, store.ErrNotFound)
	}
	st := &store.CrawlState{Freshness: map[string]store.Freshness{}, Directories: map[string]*store.Directory{}}
	hs, err := loadHealth(ctx, tx, r.Mirror)
	if err != nil {
		return nil, err
	}
	if len(hs) > 0 {
		st.Health = hs[0]
	}
	if len(r.Observations) == 0 {
		return st, nil
	}
	err = eachFreshness(ctx, tx, r.Mirror, "", func(f store.Freshness) error {
		st.Freshness[f.Directory] = f
		return nil
	})
	if err != nil {
		return nil, err
	}
	if st.Seen, err = loadObservations(ctx, tx, r.Mirror, ""); err != nil {
		return nil, err
	}
	dirs, err := loadDirectories(ctx, tx, nil)
	if err != nil {
		return nil, err
	}
	for i := range dirs {
		st.Directories[dirs[i].Path] = &dirs[i]
	}
	return st, nil
}

// writeCrawlPlan writes what ApplyCrawl decided.
func writeCrawlPlan(ctx context.Context, tx *sql.Tx, mirror string, plan *store.CrawlPlan) error {
	if len(plan.Put) > 0 {
		w, err := newFreshnessWriter(ctx, tx)
		if err != nil {
			return err
		}
		defer w.close()
		for _, f := range plan.Put {
			if err := w.put(ctx, f); err != nil {
				return err
			}
		}
	}
	for _, dir := range plan.Delete {
		if _, err := tx.ExecContext(ctx, `DELETE FROM freshness WHERE mirror = ? AND directory = ?`, mirror, dir); err != nil {
			return err
		}
	}
	if len(plan.Seen) > 0 {
		st, err := tx.PrepareContext(ctx, `INSERT INTO crawl_observations (mirror, directory, status, sha256, seen)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (mirror, directory) DO UPDATE SET status = excluded.status,
			sha256 = excluded.sha256, seen = excluded.seen`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, o := range plan.Seen {
			if _, err := st.ExecContext(ctx, mirror, o.Directory, o.Status, o.SHA256, micros(o.Seen)); err != nil {
				return err
			}
		}
	}
	return putHealth(ctx, tx, plan.Health)
}

// putHealth creates or replaces a mirror's health with its protocols.
func putHealth(ctx context.Context, tx *sql.Tx, h store.MirrorHealth) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO mirror_health (mirror, last_crawl, consecutive_failures, disabled, reason, since)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (mirror) DO UPDATE SET last_crawl = excluded.last_crawl,
		consecutive_failures = excluded.consecutive_failures, disabled = excluded.disabled,
		reason = excluded.reason, since = excluded.since`,
		h.Mirror, micros(h.LastCrawl), h.ConsecutiveFailures, h.Disabled, h.Reason, micros(h.Since))
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM protocol_health WHERE mirror = ?`, h.Mirror); err != nil {
		return err
	}
	for _, p := range h.Protocols {
		_, err := tx.ExecContext(ctx, `INSERT INTO protocol_health (mirror, protocol, last_success, last_failure,
			last_reason, last_detail, consecutive_failures) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			h.Mirror, p.Protocol, micros(p.LastSuccess), micros(p.LastFailure), p.LastReason, p.LastDetail, p.ConsecutiveFailures)
		if err != nil {
			return err
		}
	}
	return nil
}

// loadHealth returns the health of one mirror, or of all for "", sorted.
func loadHealth(ctx context.Context, tx *sql.Tx, mirror string) ([]store.MirrorHealth, error) {
	hs, err := collect(ctx, tx, func(r *sql.Rows) (h store.MirrorHealth, err error) {
		var last, since int64
		err = r.Scan(&h.Mirror, &last, &h.ConsecutiveFailures, &h.Disabled, &h.Reason, &since)
		h.LastCrawl, h.Since = fromMicros(last), fromMicros(since)
		return h, err
	}, `SELECT mirror, last_crawl, consecutive_failures, disabled, reason, since FROM mirror_health
		WHERE ?1 = '' OR mirror = ?1 ORDER BY mirror`, mirror)
	if err != nil || len(hs) == 0 {
		return hs, err
	}
	index := make(map[string]*store.MirrorHealth, len(hs))
	for i := range hs {
		index[hs[i].Mirror] = &hs[i]
	}
	rows, err := tx.QueryContext(ctx, `SELECT mirror, protocol, last_success, last_failure, last_reason, last_detail,
		consecutive_failures FROM protocol_health WHERE ?1 = '' OR mirror = ?1 ORDER BY mirror, protocol`, mirror)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var m string
		var p store.ProtocolHealth
		var ok, failed int64
		if err := rows.Scan(&m, &p.Protocol, &ok, &failed, &p.LastReason, &p.LastDetail, &p.ConsecutiveFailures); err != nil {
			return nil, err
		}
		p.LastSuccess, p.LastFailure = fromMicros(ok), fromMicros(failed)
		if h := index[m]; h != nil {
			h.Protocols = append(h.Protocols, p)
		}
	}
	return hs, rows.Err()
}

// loadObservations returns the crawler's observations of one mirror by
// directory, of one directory only when directory is set.
func loadObservations(ctx context.Context, tx *sql.Tx, mirror, directory string) (map[string]store.LastObservation, error) {
	out := map[string]store.LastObservation{}
	err := eachObservation(ctx, tx, mirror, directory, func(_ string, o store.LastObservation) { out[o.Directory] = o })
	return out, err
}

// eachObservation calls fn with each stored observation, all of them or
// those of one mirror, or of one mirror and directory.
func eachObservation(ctx context.Context, tx *sql.Tx, mirror, directory string, fn func(mirror string, o store.LastObservation)) error {
	rows, err := tx.QueryContext(ctx, `SELECT mirror, directory, status, sha256, seen FROM crawl_observations
		WHERE (?1 = '' OR mirror = ?1) AND (?2 = '' OR directory = ?2)`, mirror, directory)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var m string
		var o store.LastObservation
		var seen int64
		if err := rows.Scan(&m, &o.Directory, &o.Status, &o.SHA256, &seen); err != nil {
			return err
		}
		o.Seen = fromMicros(seen)
		fn(m, o)
	}
	return rows.Err()
}

// Health implements store.CrawlStore.
func (s *Store) Health(ctx context.Context, mirror string) (hs []store.MirrorHealth, err error) {
	err = s.read(ctx, func(tx *sql.Tx) error { hs, err = loadHealth(ctx, tx, mirror); return err })
	return hs, wrap(err, "health of %q", mirror)
}

// Recover implements store.CrawlStore. A mirror never crawled has nothing
// to recover from; recovering it is not an error.
func (s *Store) Recover(ctx context.Context, mirror string) error {
	err := s.write(ctx, change{"recover", mirror, nil}, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM mirrors WHERE name = ?`, mirror).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("mirror %q: %w", mirror, store.ErrNotFound)
		}
		hs, err := loadHealth(ctx, tx, mirror)
		if err != nil || len(hs) == 0 {
			return err
		}
		h := hs[0]
		h.ApplyRecover()
		return putHealth(ctx, tx, h)
	})
	return wrap(err, "mirror %q", mirror)
}

// RecordPropagation implements store.CrawlStore.
func (s *Store) RecordPropagation(ctx context.Context, points []store.PropagationPoint, keep time.Duration) error {
	if err := store.ValidatePropagation(points); err != nil {
		return wrap(err, "propagation")
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO propagation (directory, at, sha256, current, older, other, failed)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (directory, at) DO UPDATE SET sha256 = excluded.sha256,
			current = excluded.current, older = excluded.older, other = excluded.other, failed = excluded.failed`)
		if err != nil {
			return err
		}
		defer st.Close()
		var newest time.Time
		for _, p := range points {
			if _, err := st.ExecContext(ctx, p.Directory, micros(p.At), p.SHA256, p.Current, p.Older, p.Other, p.Failed); err != nil {
				return err
			}
			if p.At.After(newest) {
				newest = p.At
			}
		}
		if keep <= 0 || newest.IsZero() {
			return nil
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM propagation WHERE at < ?`, micros(newest.Add(-keep)))
		return err
	})
	return wrap(err, "propagation")
}

// Propagation implements store.CrawlStore.
func (s *Store) Propagation(ctx context.Context, directory string, since time.Time) (ps []store.PropagationPoint, err error) {
	err = s.read(ctx, func(tx *sql.Tx) error {
		ps, err = collect(ctx, tx, func(r *sql.Rows) (p store.PropagationPoint, err error) {
			var at int64
			err = r.Scan(&p.Directory, &at, &p.SHA256, &p.Current, &p.Older, &p.Other, &p.Failed)
			p.At = fromMicros(at)
			return p, err
		}, `SELECT directory, at, sha256, current, older, other, failed FROM propagation
			WHERE (?1 = '' OR directory = ?1) AND at >= ?2 ORDER BY at, directory`, directory, micros(since))
		return err
	})
	return ps, wrap(err, "propagation of %q", directory)
}

// LockCrawl implements store.CrawlStore with an exclusive lock on a file
// in the data directory, which the system releases when the process ends.
func (s *Store) LockCrawl(ctx context.Context) (func() error, error) {
	unlock, err := store.TryLockFile(filepath.Join(s.dir, LockFileName))
	if err != nil {
		return nil, fmt.Errorf("embedded store: %s: %w", s.dir, err)
	}
	return unlock, nil
}

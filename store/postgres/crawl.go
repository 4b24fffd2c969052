package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/metalinkd/metalinkd/store"
)

// crawlLock is the session advisory lock key that keeps two crawlers from
// running at once ("mlcrawl" in ASCII); migrations and writers use others.
const crawlLock int64 = 0x6d6c637261776c

// RecordCrawl implements store.CrawlStore with store.ApplyCrawl, in one
// transaction under the write lock. Only a result that changes freshness,
// or takes the mirror out of answers or brings it back, is announced
// (NOTIFY, once for the transaction) and recorded in the audit log.
func (s *Store) RecordCrawl(ctx context.Context, r store.CrawlResult, p store.CrawlPolicy) (store.CrawlOutcome, error) {
	defer s.bound(&ctx, s.timeouts.Bulk)()
	if err := store.ValidateCrawlResult(&r); err != nil {
		return store.CrawlOutcome{}, wrap(err, "crawl of %q", r.Mirror)
	}
	var plan store.CrawlPlan
	err := s.writeQuiet(ctx, func(tx pgx.Tx) error {
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
		return s.announce(ctx, tx, change{"crawl", r.Mirror, plan.Outcome})
	})
	if err != nil {
		return store.CrawlOutcome{}, wrap(err, "crawl of %q", r.Mirror)
	}
	return plan.Outcome, nil
}

// loadCrawlState reads what ApplyCrawl needs of the mirror r crawled.
func loadCrawlState(ctx context.Context, tx pgx.Tx, r *store.CrawlResult) (*store.CrawlState, error) {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM mirrors WHERE name = $1)`, r.Mirror).Scan(&exists); err != nil {
		return nil, err
	}
	if !exists {
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
	fs, err := loadFreshness(ctx, tx, r.Mirror, "")
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		st.Freshness[f.Directory] = f
	}
	if st.Seen, err = loadObservations(ctx, tx, r.Mirror, ""); err != nil {
		return nil, err
	}
	// All of them: a crawl observes most, and matching thousands of paths
	// with = ANY costs more than reading the rest.
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
func writeCrawlPlan(ctx context.Context, tx pgx.Tx, mirror string, plan *store.CrawlPlan) error {
	if err := upsertFreshness(ctx, tx, plan.Put); err != nil {
		return err
	}
	if len(plan.Delete) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM freshness WHERE mirror = $1 AND directory = ANY($2)`, mirror, plan.Delete); err != nil {
			return err
		}
	}
	if len(plan.Seen) > 0 {
		var dirs, statuses, shas []string
		var seen []time.Time
		for _, o := range plan.Seen {
			dirs = append(dirs, o.Directory)
			statuses = append(statuses, o.Status)
			shas = append(shas, o.SHA256)
			seen = append(seen, o.Seen)
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO crawl_observations (mirror, directory, status, sha256, seen)
			SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[])
			ON CONFLICT (mirror, directory) DO UPDATE SET status = excluded.status, sha256 = excluded.sha256,
				seen = excluded.seen`, mirror, dirs, statuses, shas, seen)
		if err != nil {
			return err
		}
	}
	return putHealth(ctx, tx, plan.Health)
}

// putHealth creates or replaces a mirror's health with its protocols.
func putHealth(ctx context.Context, tx pgx.Tx, h store.MirrorHealth) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO mirror_health (mirror, last_crawl, consecutive_failures, disabled, reason, since)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (mirror) DO UPDATE SET last_crawl = excluded.last_crawl,
			consecutive_failures = excluded.consecutive_failures, disabled = excluded.disabled,
			reason = excluded.reason, since = excluded.since`,
		h.Mirror, h.LastCrawl, h.ConsecutiveFailures, h.Disabled, h.Reason, h.Since)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM protocol_health WHERE mirror = $1`, h.Mirror); err != nil {
		return err
	}
	if len(h.Protocols) == 0 {
		return nil
	}
	var c struct {
		protocols, reasons, details []string
		ok, failed                  []time.Time
		failures                    []int32
	}
	for _, p := range h.Protocols {
		c.protocols = append(c.protocols, p.Protocol)
		c.ok = append(c.ok, p.LastSuccess)
		c.failed = append(c.failed, p.LastFailure)
		c.reasons = append(c.reasons, p.LastReason)
		c.details = append(c.details, p.LastDetail)
		c.failures = append(c.failures, int32(p.ConsecutiveFailures))
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO protocol_health (mirror, protocol, last_success, last_failure, last_reason, last_detail, consecutive_failures)
		SELECT $1, * FROM unnest($2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::text[], $7::int[])`,
		h.Mirror, c.protocols, c.ok, c.failed, c.reasons, c.details, c.failures)
	return err
}

// loadHealth returns the health of one mirror, or of all for "", sorted.
func loadHealth(ctx context.Context, tx pgx.Tx, mirror string) ([]store.MirrorHealth, error) {
	rows, _ := tx.Query(ctx, `
		SELECT mirror, last_crawl, consecutive_failures, disabled, reason, since FROM mirror_health
		WHERE $1 = '' OR mirror = $1 ORDER BY mirror COLLATE "C"`, mirror)
	hs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.MirrorHealth, error) {
		var h store.MirrorHealth
		err := row.Scan(&h.Mirror, &h.LastCrawl, &h.ConsecutiveFailures, &h.Disabled, &h.Reason, &h.Since)
		h.LastCrawl, h.Since = utc(h.LastCrawl), utc(h.Since)
		return h, err
	})
	if err != nil || len(hs) == 0 {
		return hs, err
	}
	index := make(map[string]*store.MirrorHealth, len(hs))
	for i := range hs {
		index[hs[i].Mirror] = &hs[i]
	}
	rows, _ = tx.Query(ctx, `
		SELECT mirror, protocol, last_success, last_failure, last_reason, last_detail, consecutive_failures
		FROM protocol_health WHERE $1 = '' OR mirror = $1 ORDER BY mirror, protocol COLLATE "C"`, mirror)
	var (
		m string
		p store.ProtocolHealth
	)
	scans := []any{&m, &p.Protocol, &p.LastSuccess, &p.LastFailure, &p.LastReason, &p.LastDetail, &p.ConsecutiveFailures}
	_, err = pgx.ForEachRow(rows, scans, func() error {
		if h := index[m]; h != nil {
			q := p
			q.LastSuccess, q.LastFailure = utc(q.LastSuccess), utc(q.LastFailure)
			h.Protocols = append(h.Protocols, q)
		}
		return nil
	})
	return hs, err
}

// utc returns t in UTC; the zero time stays zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// loadObservations returns the crawler's observations of one mirror by
// directory, of one directory only when directory is set.
func loadObservations(ctx context.Context, tx pgx.Tx, mirror, directory string) (map[string]store.LastObservation, error) {
	rows, _ := tx.Query(ctx, `
		SELECT directory, status, sha256, seen FROM crawl_observations
		WHERE mirror = $1 AND ($2 = '' OR directory = $2)`, mirror, directory)
	out := map[string]store.LastObservation{}
	var o store.LastObservation
	_, err := pgx.ForEachRow(rows, []any{&o.Directory, &o.Status, &o.SHA256, &o.Seen}, func() error {
		out[o.Directory] = o
		return nil
	})
	return out, err
}

// Health implements store.CrawlStore.
func (s *Store) Health(ctx context.Context, mirror string) (hs []store.MirrorHealth, err error) {
	defer s.bound(&ctx, s.timeouts.Bulk)()
	err = s.read(ctx, func(tx pgx.Tx) error { hs, err = loadHealth(ctx, tx, mirror); return err })
	return hs, wrap(err, "health of %q", mirror)
}

// Recover implements store.CrawlStore. A mirror never crawled has nothing
// to recover from; recovering it is not an error.
func (s *Store) Recover(ctx context.Context, mirror string) error {
	defer s.bound(&ctx, s.timeouts.Write)()
	err := s.write(ctx, change{"recover", mirror, nil}, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM mirrors WHERE name = $1)`, mirror).Scan(&exists); err != nil {
			return err
		}
		if !exists {
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

// RecordPropagation implements store.CrawlStore. Points are kept for keep
// before the newest point given; answers do not depend on them, so they
// are not announced.
func (s *Store) RecordPropagation(ctx context.Context, points []store.PropagationPoint, keep time.Duration) error {
	defer s.bound(&ctx, s.timeouts.Bulk)()
	if err := store.ValidatePropagation(points); err != nil {
		return wrap(err, "propagation")
	}
	if len(points) == 0 {
		return nil
	}
	var c struct {
		dirs, shas                    []string
		at                            []time.Time
		current, older, other, failed []int32
	}
	var newest time.Time
	for _, p := range points {
		c.dirs = append(c.dirs, p.Directory)
		c.at = append(c.at, p.At)
		c.shas = append(c.shas, p.SHA256)
		c.current = append(c.current, int32(p.Current))
		c.older = append(c.older, int32(p.Older))
		c.other = append(c.other, int32(p.Other))
		c.failed = append(c.failed, int32(p.Failed))
		if p.At.After(newest) {
			newest = p.At
		}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO propagation (directory, at, sha256, current, older, other, failed)
			SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::int[], $5::int[], $6::int[], $7::int[])
			ON CONFLICT (directory, at) DO UPDATE SET sha256 = excluded.sha256, current = excluded.current,
				older = excluded.older, other = excluded.other, failed = excluded.failed`,
			c.dirs, c.at, c.shas, c.current, c.older, c.other, c.failed)
		if err != nil || keep <= 0 {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM propagation WHERE at < $1`, newest.Add(-keep))
		return err
	})
	return wrap(err, "propagation")
}

// Propagation implements store.CrawlStore.
func (s *Store) Propagation(ctx context.Context, directory string, since time.Time) ([]store.PropagationPoint, error) {
	defer s.bound(&ctx, s.timeouts.Bulk)()
	var ps []store.PropagationPoint
	err := s.read(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `
			SELECT directory, at, sha256, current, older, other, failed FROM propagation
			WHERE ($1 = '' OR directory = $1) AND at >= $2 ORDER BY at, directory COLLATE "C"`, directory, since)
		var err error
		ps, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.PropagationPoint, error) {
			var p store.PropagationPoint
			err := row.Scan(&p.Directory, &p.At, &p.SHA256, &p.Current, &p.Older, &p.Other, &p.Failed)
			p.At = p.At.UTC()
			return p, err
		})
		return err
	})
	return ps, wrap(err, "propagation of %q", directory)
}

// LockCrawl implements store.CrawlStore with a session advisory lock held
// on a connection of its own, outside the pool: PostgreSQL releases it
// when unlock closes the connection, or when the process dies and the
// connection with it.
func (s *Store) LockCrawl(ctx context.Context) (func() error, error) {
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, s.pool.Config().ConnConfig)
	if err != nil {
		return nil, wrap(err, "crawl lock")
	}
	var got bool
	if err := conn.QueryRow(cctx, `SELECT pg_try_advisory_lock($1)`, crawlLock).Scan(&got); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, wrap(err, "crawl lock")
	}
	if !got {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("postgres: %w", store.ErrLocked)
	}
	var done bool
	return func() error {
		if done {
			return nil
		}
		done = true
		ctx, cancel := context.WithTimeout(context.Background(), s.timeouts.Write)
		defer cancel()
		_, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, crawlLock)
		// Closing the session releases the lock even when the unlock failed.
		return wrap(errors.Join(err, conn.Close(ctx)), "crawl lock")
	}, nil
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"time"

	sqlitemigrations "github.com/metalinkd/metalinkd/migrations/sqlite"
	"github.com/metalinkd/metalinkd/store"
)

// StatsFileName is the statistics database in the data directory. It is
// apart from FileName because every commit there makes the processes
// sharing the directory rebuild their snapshots, and a flush of
// statistics changes nothing they serve.
const StatsFileName = "metalinkd-stats.db"

// statsDB returns the statistics database, opening it and bringing its
// schema up to date on first use; a failure is tried again on the next call.
func (s *Store) statsDB(ctx context.Context) (*sql.DB, error) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	if s.stats != nil {
		return s.stats, nil
	}
	if s.closing.Err() != nil {
		return nil, errors.New("embedded store: closed")
	}
	// Set up by one process at a time, as Open sets up the dataset's file.
	unlock, err := store.LockFile(filepath.Join(s.dir, openLockName))
	if err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	defer unlock()
	db, err := openDB(filepath.Join(s.dir, StatsFileName), "immediate")
	if err != nil {
		return nil, err
	}
	files, err := fs.Sub(sqlitemigrations.StatsFiles, "stats")
	if err == nil {
		err = migrateDB(ctx, db, files)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("embedded store: %s: %w", StatsFileName, err)
	}
	s.stats = db
	return db, nil
}

// dateText is a day or week as the statistics tables keep it.
func dateText(t time.Time) any { return t.UTC().Format(time.DateOnly) }

// AddStats implements store.Stats: one write transaction of the statistics
// database adds every count with an upsert and drops what the retention no
// longer keeps. It is no change of the dataset: no audit entry, and no
// commit to the dataset's database, so no process rebuilds its snapshot.
func (s *Store) AddStats(ctx context.Context, reqs []store.RequestCount, countme []store.CountmeCount, now time.Time, keep store.StatsRetention) error {
	if err := store.CheckStats(reqs, countme); err != nil {
		return wrap(err, "statistics")
	}
	reqs, countme = store.SumStats(reqs, countme)
	db, err := s.statsDB(ctx)
	if err != nil {
		return err
	}
	err = inTx(ctx, db, func(tx *sql.Tx) error {
		if err := addRequests(ctx, tx, reqs); err != nil {
			return err
		}
		if err := addCountme(ctx, tx, countme); err != nil {
			return err
		}
		day, week := keep.Cutoffs(now)
		if keep.RequestDays > 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM request_stats WHERE day < ?`, dateText(day)); err != nil {
				return err
			}
		}
		if keep.CountmeWeeks > 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM countme_stats WHERE week < ?`, dateText(week)); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap(err, "statistics")
}

func addRequests(ctx context.Context, tx *sql.Tx, reqs []store.RequestCount) error {
	if len(reqs) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO request_stats (day, repo, arch, country, location, step, requests)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (day, repo, arch, country, location, step) DO UPDATE SET requests = requests + excluded.requests`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, r := range reqs {
		if _, err := st.ExecContext(ctx, dateText(r.Day), r.Repo, r.Arch, r.Country, r.Location, r.Step, r.Count); err != nil {
			return err
		}
	}
	return nil
}

func addCountme(ctx context.Context, tx *sql.Tx, countme []store.CountmeCount) error {
	if len(countme) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO countme_stats (week, repo, arch, bucket, hits) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (week, repo, arch, bucket) DO UPDATE SET hits = hits + excluded.hits`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, c := range countme {
		if _, err := st.ExecContext(ctx, dateText(c.Week), c.Repo, c.Arch, c.Bucket, c.Count); err != nil {
			return err
		}
	}
	return nil
}

// RequestStats implements store.Stats.
func (s *Store) RequestStats(ctx context.Context, q store.StatsQuery) ([]store.RequestCount, error) {
	var out []store.RequestCount
	err := s.statsRows(ctx, false, q, func(dims map[string]string, n int64) error {
		r := store.RequestCount{Repo: dims[store.ByRepo], Arch: dims[store.ByArch], Country: dims[store.ByCountry],
			Location: dims[store.ByLocation], Step: dims[store.ByStep], Count: n}
		var err error
		r.Day, err = parseDate(dims[store.ByDay])
		out = append(out, r)
		return err
	})
	return out, wrap(err, "request statistics")
}

// CountmeStats implements store.Stats.
func (s *Store) CountmeStats(ctx context.Context, q store.StatsQuery) ([]store.CountmeCount, error) {
	var out []store.CountmeCount
	err := s.statsRows(ctx, true, q, func(dims map[string]string, n int64) error {
		c := store.CountmeCount{Repo: dims[store.ByRepo], Arch: dims[store.ByArch], Count: n}
		var err error
		if b := dims[store.ByBucket]; b != "" {
			c.Bucket, err = strconv.Atoi(b)
		}
		if err == nil {
			c.Week, err = parseDate(dims[store.ByWeek])
		}
		out = append(out, c)
		return err
	})
	return out, wrap(err, "countme statistics")
}

// statsRows runs a statistics read and hands each row's kept dimensions,
// as text, and sum to fn; an empty sum (no rows at all) is skipped.
func (s *Store) statsRows(ctx context.Context, countme bool, q store.StatsQuery, fn func(map[string]string, int64) error) error {
	if err := q.Check(countme); err != nil {
		return err
	}
	query, args := store.StatsSelect(countme, q, func(int) string { return "?" }, dateText)
	db, err := s.statsDB(ctx)
	if err != nil {
		return err
	}
	// One statement reads one state of the database (WAL): no transaction,
	// which would take the write lock.
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	vals := make([]sql.NullString, len(q.By))
	dest := make([]any, len(q.By)+1)
	for i := range vals {
		dest[i] = &vals[i]
	}
	var sum sql.NullInt64
	dest[len(q.By)] = &sum
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if !sum.Valid {
			continue
		}
		dims := make(map[string]string, len(q.By))
		for i, b := range q.By {
			dims[b] = vals[i].String
		}
		if err := fn(dims, sum.Int64); err != nil {
			return err
		}
	}
	return rows.Err()
}

// parseDate reads a stored day or week; "" (summed away) is the zero time.
func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.DateOnly, s)
}

// inTx runs fn in a transaction of db (IMMEDIATE: it holds the write lock
// from its start, so that writers of several processes take turns) and
// commits when fn succeeds.
func inTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

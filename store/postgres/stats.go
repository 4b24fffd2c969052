package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/metalinkd/metalinkd/store"
)

// statsAttempts bounds the retries of a statistics write that lost a
// deadlock or serialization race to another replica's.
const statsAttempts = 3

// AddStats implements store.Stats: each table's counts go in one upsert
// that adds to the stored rows, in key order so that replicas flushing at
// once lock rows in the same order, and the retention's deletes follow in
// the same transaction. It takes no write lock, writes no audit entry and
// sends no change notification: statistics are not part of the dataset.
func (s *Store) AddStats(ctx context.Context, reqs []store.RequestCount, countme []store.CountmeCount, now time.Time, keep store.StatsRetention) error {
	defer s.bound(&ctx, s.timeouts.Write)()
	if err := store.CheckStats(reqs, countme); err != nil {
		return wrap(err, "statistics")
	}
	reqs, countme = store.SumStats(reqs, countme)
	var err error
	for range statsAttempts {
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return addStats(ctx, tx, reqs, countme, now, keep) })
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || (pgErr.Code != "40P01" && pgErr.Code != "40001") {
			break
		}
	}
	return wrap(err, "statistics")
}

func addStats(ctx context.Context, tx pgx.Tx, reqs []store.RequestCount, countme []store.CountmeCount, now time.Time, keep store.StatsRetention) error {
	if len(reqs) > 0 {
		days := make([]time.Time, len(reqs))
		repos, arches, countries, locations, steps := make([]string, len(reqs)), make([]string, len(reqs)),
			make([]string, len(reqs)), make([]string, len(reqs)), make([]string, len(reqs))
		counts := make([]int64, len(reqs))
		for i, r := range reqs {
			days[i], repos[i], arches[i], countries[i], locations[i], steps[i], counts[i] =
				r.Day, r.Repo, r.Arch, r.Country, r.Location, r.Step, r.Count
		}
		if _, err := tx.Exec(ctx, `INSERT INTO request_stats (day, repo, arch, country, location, step, requests)
			SELECT * FROM unnest($1::date[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
			ON CONFLICT (day, repo, arch, country, location, step)
			DO UPDATE SET requests = request_stats.requests + excluded.requests`,
			days, repos, arches, countries, locations, steps, counts); err != nil {
			return err
		}
	}
	if len(countme) > 0 {
		weeks := make([]time.Time, len(countme))
		repos, arches := make([]string, len(countme)), make([]string, len(countme))
		buckets := make([]int16, len(countme))
		counts := make([]int64, len(countme))
		for i, c := range countme {
			weeks[i], repos[i], arches[i], buckets[i], counts[i] = c.Week, c.Repo, c.Arch, int16(c.Bucket), c.Count
		}
		if _, err := tx.Exec(ctx, `INSERT INTO countme_stats (week, repo, arch, bucket, hits)
			SELECT * FROM unnest($1::date[], $2::text[], $3::text[], $4::smallint[], $5::bigint[])
			ON CONFLICT (week, repo, arch, bucket) DO UPDATE SET hits = countme_stats.hits + excluded.hits`,
			weeks, repos, arches, buckets, counts); err != nil {
			return err
		}
	}
	day, week := keep.Cutoffs(now)
	if keep.RequestDays > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM request_stats WHERE day < $1`, day); err != nil {
			return err
		}
	}
	if keep.CountmeWeeks > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM countme_stats WHERE week < $1`, week); err != nil {
			return err
		}
	}
	return nil
}

func placeholder(i int) string { return fmt.Sprintf("$%d", i) }

func dateArg(t time.Time) any { return t.UTC().Format(time.DateOnly) }

// RequestStats implements store.Stats.
func (s *Store) RequestStats(ctx context.Context, q store.StatsQuery) ([]store.RequestCount, error) {
	defer s.bound(&ctx, s.timeouts.Bulk)()
	var out []store.RequestCount
	err := s.statsRows(ctx, false, q, func(d *statsDims, n int64) {
		out = append(out, store.RequestCount{Day: d.date, Repo: d.text[store.ByRepo], Arch: d.text[store.ByArch],
			Country: d.text[store.ByCountry], Location: d.text[store.ByLocation], Step: d.text[store.ByStep], Count: n})
	})
	return out, wrap(err, "request statistics")
}

// CountmeStats implements store.Stats.
func (s *Store) CountmeStats(ctx context.Context, q store.StatsQuery) ([]store.CountmeCount, error) {
	defer s.bound(&ctx, s.timeouts.Bulk)()
	var out []store.CountmeCount
	err := s.statsRows(ctx, true, q, func(d *statsDims, n int64) {
		out = append(out, store.CountmeCount{Week: d.date, Repo: d.text[store.ByRepo], Arch: d.text[store.ByArch],
			Bucket: int(d.bucket), Count: n})
	})
	return out, wrap(err, "countme statistics")
}

// statsDims holds the kept dimensions of one statistics row.
type statsDims struct {
	date   time.Time
	bucket int16
	text   map[string]string
}

// statsRows runs a statistics read and hands each row to fn; an empty sum
// (no rows at all) is skipped.
func (s *Store) statsRows(ctx context.Context, countme bool, q store.StatsQuery, fn func(*statsDims, int64)) error {
	if err := q.Check(countme); err != nil {
		return err
	}
	query, args := store.StatsSelect(countme, q, placeholder, dateArg)
	return s.read(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var d statsDims
		texts := make([]string, len(q.By))
		dest := make([]any, len(q.By)+1)
		for i, b := range q.By {
			switch b {
			case store.ByDay, store.ByWeek:
				dest[i] = &d.date
			case store.ByBucket:
				dest[i] = &d.bucket
			default:
				dest[i] = &texts[i]
			}
		}
		var sum *int64
		dest[len(q.By)] = &sum
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			if sum == nil {
				continue
			}
			d.text = make(map[string]string, len(q.By))
			for i, b := range q.By {
				d.text[b] = texts[i]
			}
			fn(&d, *sum)
		}
		return rows.Err()
	})
}

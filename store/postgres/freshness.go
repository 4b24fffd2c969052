package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/metalinkd/metalinkd/store"
)

// Report implements store.Store with store.Dataset.ApplyReport and
// store.CheckReport on the mirror and directory concerned.
func (s *Store) Report(ctx context.Context, f store.Freshness) error {
	defer s.bound(&ctx, s.timeouts.Write)()
	if f.Source != "" && f.Source != store.SourceReport {
		return wrap(fmt.Errorf("a report's source is %q, not %q: %w", store.SourceReport, f.Source, store.ErrInvalid),
			"mirror %q, directory %q", f.Mirror, f.Directory)
	}
	f.Source = ""
	err := s.write(ctx, change{"report", f.Mirror, f}, func(tx pgx.Tx) error {
		d, err := loadFor(ctx, tx, f.Mirror, []string{f.Directory})
		if err != nil {
			return err
		}
		if err := d.ApplyReport(f); err != nil {
			return err
		}
		seen, err := loadObservations(ctx, tx, f.Mirror, f.Directory)
		if err != nil {
			return err
		}
		if o, ok := seen[f.Directory]; ok {
			if err := store.CheckReport(f, &d.Directories[0], &o); err != nil {
				return err
			}
		}
		return upsertFreshness(ctx, tx, []store.Freshness{f})
	})
	return wrap(err, "mirror %q, directory %q", f.Mirror, f.Directory)
}

// Forget implements store.Store with store.Dataset.ApplyForget on the
// mirror's freshness.
func (s *Store) Forget(ctx context.Context, mirror, prefix string) (int, error) {
	defer s.bound(&ctx, s.timeouts.Write)()
	var n int
	err := s.write(ctx, change{"forget", mirror, map[string]string{"prefix": prefix}}, func(tx pgx.Tx) error {
		d, err := loadFor(ctx, tx, mirror, nil)
		if err != nil {
			return err
		}
		if d.Freshness, err = loadFreshness(ctx, tx, mirror, ""); err != nil {
			return err
		}
		all := slices.Clone(d.Freshness)
		if n, err = d.ApplyForget(mirror, prefix); err != nil {
			return err
		}
		kept := make(map[string]bool, len(d.Freshness))
		for _, f := range d.Freshness {
			kept[f.Directory] = true
		}
		var gone []string
		for _, f := range all {
			if !kept[f.Directory] {
				gone = append(gone, f.Directory)
			}
		}
		_, err = tx.Exec(ctx, `DELETE FROM freshness WHERE mirror = $1 AND directory = ANY($2)`, mirror, gone)
		return err
	})
	return n, wrap(err, "mirror %q", mirror)
}

// loadFor returns the part of the dataset that a change to one mirror's
// freshness needs: the mirror's name if it exists, and the directories
// named that exist.
func loadFor(ctx context.Context, tx pgx.Tx, mirror string, dirs []string) (*store.Dataset, error) {
	d := &store.Dataset{}
	var exists bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM mirrors WHERE name = $1)`, mirror).Scan(&exists)
	if err != nil {
		return nil, err
	}
	if exists {
		d.Mirrors = []store.Mirror{{Name: mirror}}
	}
	if len(dirs) > 0 {
		if d.Directories, err = loadDirectories(ctx, tx, dirs); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// upsertFreshness creates or replaces freshness rows.
func upsertFreshness(ctx context.Context, tx pgx.Tx, fs []store.Freshness) error {
	if len(fs) == 0 {
		return nil
	}
	var c struct {
		mirrors, dirs, sha256, sources []string
		reported                       []time.Time
	}
	for _, f := range fs {
		c.mirrors = append(c.mirrors, f.Mirror)
		c.dirs = append(c.dirs, f.Directory)
		c.sha256 = append(c.sha256, f.SHA256)
		c.reported = append(c.reported, f.Reported)
		src := f.Source
		if src == "" {
			src = store.SourceReport
		}
		c.sources = append(c.sources, src)
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO freshness (mirror, directory, sha256, reported, source)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[])
		ON CONFLICT (mirror, directory) DO UPDATE SET sha256 = excluded.sha256, reported = excluded.reported,
			source = excluded.source`,
		c.mirrors, c.dirs, c.sha256, c.reported, c.sources)
	return err
}

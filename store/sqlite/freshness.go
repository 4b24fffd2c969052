package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/metalinkd/metalinkd/store"
)

// Report implements store.Store with store.Dataset.ApplyReport and
// store.CheckReport on the mirror and directory concerned: it writes one row.
func (s *Store) Report(ctx context.Context, f store.Freshness) error {
	if f.Source != "" && f.Source != store.SourceReport {
		return wrap(fmt.Errorf("a report's source is %q, not %q: %w", store.SourceReport, f.Source, store.ErrInvalid),
			"mirror %q, directory %q", f.Mirror, f.Directory)
	}
	f.Source = ""
	err := s.write(ctx, change{"report", f.Mirror, f}, func(tx *sql.Tx) error {
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
		w, err := newFreshnessWriter(ctx, tx)
		if err != nil {
			return err
		}
		defer w.close()
		return w.put(ctx, f)
	})
	return wrap(err, "mirror %q, directory %q", f.Mirror, f.Directory)
}

// LoadFreshness records many freshness records at once, in one transaction
// with one audit entry: each is checked as Report checks it (a record with
// SourceCrawl skips only the precedence rule of crawls over reports), and
// one that Report would refuse refuses them all. It is the bulk path for
// freshness gathered elsewhere (another server's export).
func (s *Store) LoadFreshness(ctx context.Context, fs []store.Freshness) error {
	err := s.write(ctx, change{"load_freshness", "freshness", map[string]int{"rows": len(fs)}}, func(tx *sql.Tx) error {
		check, err := newReportCheck(ctx, tx)
		if err != nil {
			return err
		}
		w, err := newFreshnessWriter(ctx, tx)
		if err != nil {
			return err
		}
		defer w.close()
		put := func() error {
			for i, f := range fs {
				if err := check.accepts(f); err != nil {
					return fmt.Errorf("freshness[%d]: %w", i, err)
				}
				if err := w.put(ctx, f); err != nil {
					return err
				}
			}
			return nil
		}
		// Past what a patch follows, one entry for everything.
		if len(fs) > store.MaxPatchChanges {
			return quietly(ctx, tx, put)
		}
		return put()
	})
	return wrap(err, "loading freshness")
}

// reportCheck decides what store.Dataset.ApplyReport decides, for many
// reports, with each mirror and directory read once.
type reportCheck struct {
	mirrors map[string]bool
	dirs    map[string]*store.Directory
	// seen holds the crawler's observations by mirror and directory.
	seen map[[2]string]store.LastObservation
}

func newReportCheck(ctx context.Context, tx *sql.Tx) (*reportCheck, error) {
	c := &reportCheck{mirrors: map[string]bool{}, dirs: map[string]*store.Directory{}}
	names, err := collect(ctx, tx, func(r *sql.Rows) (n string, err error) { err = r.Scan(&n); return n, err },
		`SELECT name FROM mirrors`)
	for _, n := range names {
		c.mirrors[n] = true
	}
	if err != nil {
		return nil, err
	}
	dirs, err := loadDirectories(ctx, tx, nil)
	for i := range dirs {
		c.dirs[dirs[i].Path] = &dirs[i]
	}
	if err != nil {
		return nil, err
	}
	c.seen = map[[2]string]store.LastObservation{}
	err = eachObservation(ctx, tx, "", "", func(mirror string, o store.LastObservation) {
		c.seen[[2]string{mirror, o.Directory}] = o
	})
	return c, err
}

func (c *reportCheck) accepts(f store.Freshness) error {
	d := &store.Dataset{}
	if c.mirrors[f.Mirror] {
		d.Mirrors = []store.Mirror{{Name: f.Mirror}}
	}
	if dir := c.dirs[f.Directory]; dir != nil {
		d.Directories = []store.Directory{*dir}
	}
	if f.Source != "" && f.Source != store.SourceReport && f.Source != store.SourceCrawl {
		return fmt.Errorf("mirror %q, directory %q: source must be %q or %q: %w",
			f.Mirror, f.Directory, store.SourceReport, store.SourceCrawl, store.ErrInvalid)
	}
	if err := d.ApplyReport(f); err != nil {
		return err
	}
	if f.FromCrawl() {
		return nil
	}
	if o, ok := c.seen[[2]string{f.Mirror, f.Directory}]; ok {
		return store.CheckReport(f, &d.Directories[0], &o)
	}
	return nil
}

// Forget implements store.Store with store.Dataset.ApplyForget on the
// mirror's freshness.
func (s *Store) Forget(ctx context.Context, mirror, prefix string) (int, error) {
	var n int
	err := s.write(ctx, change{"forget", mirror, map[string]string{"prefix": prefix}}, func(tx *sql.Tx) error {
		d, err := loadFor(ctx, tx, mirror, nil)
		if err != nil {
			return err
		}
		if d.Freshness, err = loadFreshness(ctx, tx, mirror, ""); err != nil {
			return err
		}
		all := append([]store.Freshness(nil), d.Freshness...)
		if n, err = d.ApplyForget(mirror, prefix); err != nil {
			return err
		}
		kept := make(map[string]bool, len(d.Freshness))
		for _, f := range d.Freshness {
			kept[f.Directory] = true
		}
		del, err := tx.PrepareContext(ctx, `DELETE FROM freshness WHERE mirror = ? AND directory = ?`)
		if err != nil {
			return err
		}
		defer del.Close()
		for _, f := range all {
			if !kept[f.Directory] {
				if _, err := del.ExecContext(ctx, mirror, f.Directory); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return n, wrap(err, "mirror %q", mirror)
}

// loadFor returns the part of the dataset that a change to one mirror's
// freshness needs: the mirror's name if it exists, and the directories
// named that exist.
func loadFor(ctx context.Context, tx *sql.Tx, mirror string, dirs []string) (*store.Dataset, error) {
	d := &store.Dataset{}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM mirrors WHERE name = ?`, mirror).Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		d.Mirrors = []store.Mirror{{Name: mirror}}
	}
	if len(dirs) > 0 {
		var err error
		if d.Directories, err = loadDirectories(ctx, tx, dirs); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// freshnessWriter creates or replaces freshness rows with one prepared
// statement.
type freshnessWriter struct{ st *sql.Stmt }

func newFreshnessWriter(ctx context.Context, tx *sql.Tx) (*freshnessWriter, error) {
	st, err := tx.PrepareContext(ctx, `INSERT INTO freshness (mirror, directory, sha256, reported, source) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (mirror, directory) DO UPDATE SET sha256 = excluded.sha256, reported = excluded.reported,
			source = excluded.source`)
	if err != nil {
		return nil, err
	}
	return &freshnessWriter{st}, nil
}

func (w *freshnessWriter) put(ctx context.Context, f store.Freshness) error {
	_, err := w.st.ExecContext(ctx, f.Mirror, f.Directory, f.SHA256, micros(f.Reported), sourceColumn(f.Source))
	return err
}

func (w *freshnessWriter) close() { w.st.Close() }

// sourceColumn is the stored form of a freshness record's source.
func sourceColumn(s string) string {
	if s == "" {
		return store.SourceReport
	}
	return s
}

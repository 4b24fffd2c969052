package postgres

import (
	"context"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/metalinkd/metalinkd/store"
)

// Load implements store.Store. It reads in one repeatable-read transaction,
// so the dataset is a consistent snapshot, in the canonical order of
// store.Dataset.Normalize.
func (s *Store) Load(ctx context.Context) (*store.Dataset, error) {
	defer s.bound(&ctx, s.timeouts.Bulk)()
	if err := s.checkSchema(ctx); err != nil {
		return nil, err
	}
	var d *store.Dataset
	err := s.readSnapshot(ctx, func(tx pgx.Tx) (err error) {
		if d, err = loadAllBut(ctx, tx); err != nil {
			return err
		}
		d.Freshness, err = loadFreshness(ctx, tx, "", "")
		return err
	})
	if err != nil {
		return nil, wrap(err, "loading the dataset")
	}
	return d, nil
}

// Export implements store.Store: the dataset but its freshness and the
// freshness rows come from one repeatable-read transaction, and the rows
// are read one at a time, their names shared (store.Names).
func (s *Store) Export(ctx context.Context, fn func(d *store.Dataset, rows store.FreshnessRows) error) error {
	return s.export(ctx, true, fn)
}

// ExportUnordered is Export with the rows in the order the table holds
// them. Load's order (bytewise, COLLATE "C") is not the primary key's
// unless the database's collation is, so Export sorts the rows, and at a
// large network's half a million rows the sort spills to disk and takes
// most of the time; a server's pass, which only counts and indexes the
// rows, asks for them this way.
func (s *Store) ExportUnordered(ctx context.Context, fn func(d *store.Dataset, rows store.FreshnessRows) error) error {
	return s.export(ctx, false, fn)
}

func (s *Store) export(ctx context.Context, ordered bool, fn func(d *store.Dataset, rows store.FreshnessRows) error) error {
	defer s.bound(&ctx, s.timeouts.Bulk)()
	if err := s.checkSchema(ctx); err != nil {
		return err
	}
	// fn's own errors (a row it refuses) pass unwrapped.
	var fnErr error
	err := s.readSnapshot(ctx, func(tx pgx.Tx) error {
		d, err := loadAllBut(ctx, tx)
		if err != nil {
			return err
		}
		fnErr = fn(d, func(yield func(store.Freshness) error) error {
			var refused error
			err := eachFreshness(ctx, tx, ordered, func(f store.Freshness) error {
				refused = yield(f)
				return refused
			})
			if refused != nil {
				return refused
			}
			return wrap(err, "reading the freshness")
		})
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	return wrap(err, "loading the dataset")
}

// readSnapshot runs fn in a read-only repeatable-read transaction, so that
// what it reads is one consistent snapshot.
func (s *Store) readSnapshot(ctx context.Context, fn func(tx pgx.Tx) error) error {
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	return pgx.BeginTxFunc(ctx, s.pool, opts, fn)
}

// loadAllBut loads the dataset but its freshness.
func loadAllBut(ctx context.Context, tx pgx.Tx) (*store.Dataset, error) {
	var d store.Dataset
	var err error
	if d.Mirrors, err = loadMirrors(ctx, tx, ""); err != nil {
		return nil, err
	}
	if d.Locations, err = loadLocations(ctx, tx, ""); err != nil {
		return nil, err
	}
	if d.Repositories, err = loadRepositories(ctx, tx, "", ""); err != nil {
		return nil, err
	}
	if d.Redirects, err = loadRedirects(ctx, tx); err != nil {
		return nil, err
	}
	if d.ScanRules, err = loadScanRules(ctx, tx); err != nil {
		return nil, err
	}
	if d.Directories, err = loadDirectories(ctx, tx, nil); err != nil {
		return nil, err
	}
	if d.CloudRanges, err = loadCloudRanges(ctx, tx); err != nil {
		return nil, err
	}
	if d.NetblockCountries, d.CountryContinents, err = loadOverrides(ctx, tx); err != nil {
		return nil, err
	}
	if d.CloudSources, err = loadCloudSources(ctx, tx); err != nil {
		return nil, err
	}
	if d.Health, err = loadHealth(ctx, tx, ""); err != nil {
		return nil, err
	}
	t, err := loadTree(ctx, tx)
	if err != nil {
		return nil, err
	}
	d.TreeDirectories, d.Files = t.TreeDirectories, t.Files
	return &d, nil
}

// loadMirrors returns every mirror, or only the named one when name is set.
func loadMirrors(ctx context.Context, tx pgx.Tx, name string) ([]store.Mirror, error) {
	rows, _ := tx.Query(ctx, `
		SELECT name, country, bandwidth, enabled, private, always_up_to_date, asn, region, bucket,
			ARRAY(SELECT url FROM mirror_urls u WHERE u.mirror = m.name ORDER BY position),
			ARRAY(SELECT netblock FROM mirror_netblocks n WHERE n.mirror = m.name ORDER BY position),
			ARRAY(SELECT location FROM mirror_locations l WHERE l.mirror = m.name ORDER BY position),
			ARRAY(SELECT country FROM mirror_countries_allowed c WHERE c.mirror = m.name ORDER BY position),
			ipv4, ipv6
		FROM mirrors m
		WHERE $1 = '' OR name = $1
		ORDER BY name COLLATE "C"`, name)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Mirror, error) {
		var m store.Mirror
		var asn int64
		var netblocks []netip.Prefix
		var v4, v6 bool
		err := row.Scan(&m.Name, &m.Country, &m.Bandwidth, &m.Enabled, &m.Private, &m.AlwaysUpToDate,
			&asn, &m.Region, &m.Bucket, &m.URLs, &netblocks, &m.Locations, &m.CountriesAllowed, &v4, &v6)
		m.ASN = uint32(asn)
		m.IPv4, m.IPv6 = store.FamilyFlag(v4), store.FamilyFlag(v6)
		if len(m.CountriesAllowed) == 0 {
			m.CountriesAllowed = nil
		}
		for _, p := range netblocks {
			m.Netblocks = append(m.Netblocks, p.String())
		}
		if len(m.URLs) == 0 {
			m.URLs = nil
		}
		if len(m.Locations) == 0 {
			m.Locations = nil
		}
		return m, err
	})
}

// loadLocations returns every location, or only the named one when name is set.
func loadLocations(ctx context.Context, tx pgx.Tx, name string) ([]store.Location, error) {
	rows, _ := tx.Query(ctx, `SELECT name, description, cloud_regions FROM locations
		WHERE $1 = '' OR name = $1 ORDER BY name COLLATE "C"`, name)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Location, error) {
		var l store.Location
		err := row.Scan(&l.Name, &l.Description, &l.CloudRegions)
		if len(l.CloudRegions) == 0 {
			l.CloudRegions = nil
		}
		return l, err
	})
}

// loadRepositories returns every repository, or only the one of prefix
// and arch when prefix is set.
func loadRepositories(ctx context.Context, tx pgx.Tx, prefix, arch string) ([]store.Repository, error) {
	rows, _ := tx.Query(ctx, `SELECT prefix, arch, directory, disabled FROM repositories
		WHERE $1 = '' OR (prefix = $1 AND arch = $2)
		ORDER BY prefix COLLATE "C", arch COLLATE "C"`, prefix, arch)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[store.Repository])
}

func loadRedirects(ctx context.Context, tx pgx.Tx) ([]store.Redirect, error) {
	rows, _ := tx.Query(ctx, `SELECT from_prefix, to_prefix FROM redirects ORDER BY from_prefix COLLATE "C"`)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[store.Redirect])
}

func loadScanRules(ctx context.Context, tx pgx.Tx) ([]store.ScanRule, error) {
	rows, _ := tx.Query(ctx, `SELECT pattern, repo, arch FROM scan_rules ORDER BY position`)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[store.ScanRule])
}

// loadDirectories returns every directory, or only those in paths when it
// is not nil, each with its alternates newest first.
func loadDirectories(ctx context.Context, tx pgx.Tx, paths []string) ([]store.Directory, error) {
	all := paths == nil
	rows, _ := tx.Query(ctx, `
		SELECT path, size, timestamp, md5, sha1, sha256, sha512, recorded
		FROM directories WHERE $1 OR path = ANY($2)
		ORDER BY path COLLATE "C"`, all, paths)
	dirs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Directory, error) {
		var d store.Directory
		c := &d.Current
		err := row.Scan(&d.Path, &c.Size, &c.Timestamp, &c.MD5, &c.SHA1, &c.SHA256, &c.SHA512, &c.Recorded)
		return d, err
	})
	if err != nil || len(dirs) == 0 {
		return dirs, err
	}
	index := make(map[string]*store.Directory, len(dirs))
	for i := range dirs {
		index[dirs[i].Path] = &dirs[i]
	}
	rows, _ = tx.Query(ctx, `
		SELECT directory, size, timestamp, md5, sha1, sha256, sha512, recorded, superseded
		FROM repomd_alternates WHERE $1 OR directory = ANY($2)
		ORDER BY directory, position`, all, paths)
	var (
		dir string
		r   store.Repomd
	)
	scans := []any{&dir, &r.Size, &r.Timestamp, &r.MD5, &r.SHA1, &r.SHA256, &r.SHA512, &r.Recorded, &r.Superseded}
	_, err = pgx.ForEachRow(rows, scans, func() error {
		if d := index[dir]; d != nil {
			d.Alternates = append(d.Alternates, r)
		}
		return nil
	})
	return dirs, err
}

// loadFreshness returns the freshness rows, all of them or only those of
// one mirror or one directory.
func loadFreshness(ctx context.Context, tx pgx.Tx, mirror, directory string) ([]store.Freshness, error) {
	if mirror == "" && directory == "" {
		var out []store.Freshness
		err := eachFreshness(ctx, tx, true, func(f store.Freshness) error {
			out = append(out, f)
			return nil
		})
		return out, err
	}
	rows, _ := tx.Query(ctx, `
		SELECT mirror, directory, sha256, reported, source FROM freshness
		WHERE ($1 = '' OR mirror = $1) AND ($2 = '' OR directory = $2)
		ORDER BY mirror COLLATE "C", directory COLLATE "C"`, mirror, directory)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Freshness, error) {
		var f store.Freshness
		err := row.Scan(&f.Mirror, &f.Directory, &f.SHA256, &f.Reported, &f.Source)
		if f.Source == store.SourceReport {
			f.Source = ""
		}
		return f, err
	})
}

// eachFreshness calls fn with every freshness row, in Load's order when
// ordered is set. The names are read as the driver's bytes and shared
// (store.Names): a large network's half a million rows then cost no
// allocation each.
func eachFreshness(ctx context.Context, tx pgx.Tx, ordered bool, fn func(store.Freshness) error) error {
	query := `SELECT mirror, directory, sha256, reported, source FROM freshness`
	if ordered {
		query += ` ORDER BY mirror COLLATE "C", directory COLLATE "C"`
	}
	rows, _ := tx.Query(ctx, query)
	var (
		mirror, dir, sha, source pgtype.DriverBytes
		reported                 time.Time
	)
	names := store.Names{}
	_, err := pgx.ForEachRow(rows, []any{&mirror, &dir, &sha, &reported, &source}, func() error {
		f := store.Freshness{Mirror: names.Of(mirror), Directory: names.Of(dir), SHA256: names.Of(sha), Reported: reported}
		if f.Source = names.Of(source); f.Source == store.SourceReport {
			f.Source = ""
		}
		return fn(f)
	})
	return err
}

package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/metalinkd/metalinkd/store"
)

// Load implements store.Store. It reads in one transaction, so the dataset
// is a consistent snapshot, in the canonical order of store.Dataset.Normalize.
func (s *Store) Load(ctx context.Context) (*store.Dataset, error) {
	var d *store.Dataset
	err := s.read(ctx, func(tx *sql.Tx) (err error) {
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

// Export calls fn with the dataset but its freshness, and with rows, which
// yields the freshness in the order of Load one row at a time: both come
// from one snapshot, and a large network is exported without being held.
func (s *Store) Export(ctx context.Context, fn func(d *store.Dataset, rows store.FreshnessRows) error) error {
	return s.read(ctx, func(tx *sql.Tx) error {
		d, err := loadAllBut(ctx, tx)
		if err != nil {
			return wrap(err, "loading the dataset")
		}
		return fn(d, func(yield func(store.Freshness) error) error { return eachFreshnessAhead(ctx, tx, yield) })
	})
}

// loadAllBut loads the dataset but its freshness.
func loadAllBut(ctx context.Context, tx *sql.Tx) (*store.Dataset, error) {
	var d store.Dataset
	err := func() (err error) {
		if d.Mirrors, err = loadMirrors(ctx, tx, ""); err != nil {
			return err
		}
		if d.Locations, err = loadLocations(ctx, tx, ""); err != nil {
			return err
		}
		if d.Repositories, err = loadRepositories(ctx, tx, "", ""); err != nil {
			return err
		}
		if d.Redirects, err = loadRedirects(ctx, tx); err != nil {
			return err
		}
		if d.ScanRules, err = loadScanRules(ctx, tx); err != nil {
			return err
		}
		if d.Directories, err = loadDirectories(ctx, tx, nil); err != nil {
			return err
		}
		if d.CloudRanges, err = loadCloudRanges(ctx, tx); err != nil {
			return err
		}
		if d.NetblockCountries, d.CountryContinents, err = loadOverrides(ctx, tx); err != nil {
			return err
		}
		if d.CloudSources, err = loadCloudSources(ctx, tx); err != nil {
			return err
		}
		if d.Health, err = loadHealth(ctx, tx, ""); err != nil {
			return err
		}
		t, err := loadTree(ctx, tx)
		if err != nil {
			return err
		}
		d.TreeDirectories, d.Files = t.TreeDirectories, t.Files
		return nil
	}()
	return &d, err
}

// collect runs a query and scans each row with scan, checking rows.Err.
func collect[T any](ctx context.Context, tx *sql.Tx, scan func(*sql.Rows) (T, error), query string, args ...any) ([]T, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// loadMirrors returns every mirror, or only the named one when name is set.
func loadMirrors(ctx context.Context, tx *sql.Tx, name string) ([]store.Mirror, error) {
	ms, err := collect(ctx, tx, func(r *sql.Rows) (m store.Mirror, err error) {
		var asn int64
		var v4, v6 bool
		err = r.Scan(&m.Name, &m.Country, &m.Bandwidth, &m.Enabled, &m.Private, &m.AlwaysUpToDate, &asn, &m.Region, &m.Bucket, &v4, &v6)
		m.ASN = uint32(asn)
		m.IPv4, m.IPv6 = store.FamilyFlag(v4), store.FamilyFlag(v6)
		return m, err
	}, `SELECT name, country, bandwidth, enabled, private, always_up_to_date, asn, region, bucket, ipv4, ipv6
		FROM mirrors WHERE ?1 = '' OR name = ?1 ORDER BY name`, name)
	if err != nil || len(ms) == 0 {
		return ms, err
	}
	index := make(map[string]*store.Mirror, len(ms))
	for i := range ms {
		index[ms[i].Name] = &ms[i]
	}
	lists := []struct {
		table, column string
		list          func(*store.Mirror) *[]string
	}{
		{"mirror_urls", "url", func(m *store.Mirror) *[]string { return &m.URLs }},
		{"mirror_netblocks", "netblock", func(m *store.Mirror) *[]string { return &m.Netblocks }},
		{"mirror_locations", "location", func(m *store.Mirror) *[]string { return &m.Locations }},
		{"mirror_countries_allowed", "country", func(m *store.Mirror) *[]string { return &m.CountriesAllowed }},
	}
	for _, l := range lists {
		rows, err := tx.QueryContext(ctx, `SELECT mirror, `+l.column+` FROM `+l.table+`
			WHERE ?1 = '' OR mirror = ?1 ORDER BY mirror, position`, name)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var mirror, v string
			if err := rows.Scan(&mirror, &v); err != nil {
				rows.Close()
				return nil, err
			}
			if m := index[mirror]; m != nil {
				*l.list(m) = append(*l.list(m), v)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return ms, nil
}

// loadLocations returns every location, or only the named one when name is set.
func loadLocations(ctx context.Context, tx *sql.Tx, name string) ([]store.Location, error) {
	return collect(ctx, tx, func(r *sql.Rows) (l store.Location, err error) {
		var regions string
		err = r.Scan(&l.Name, &l.Description, &regions)
		l.CloudRegions = strings.Fields(regions)
		return l, err
	}, `SELECT name, description, cloud_regions FROM locations WHERE ?1 = '' OR name = ?1 ORDER BY name`, name)
}

// loadRepositories returns every repository, or only the one of prefix
// and arch when prefix is set.
func loadRepositories(ctx context.Context, tx *sql.Tx, prefix, arch string) ([]store.Repository, error) {
	return collect(ctx, tx, func(r *sql.Rows) (x store.Repository, err error) {
		err = r.Scan(&x.Prefix, &x.Arch, &x.Directory, &x.Disabled)
		return x, err
	}, `SELECT prefix, arch, directory, disabled FROM repositories
		WHERE ?1 = '' OR (prefix = ?1 AND arch = ?2) ORDER BY prefix, arch`, prefix, arch)
}

func loadRedirects(ctx context.Context, tx *sql.Tx) ([]store.Redirect, error) {
	return collect(ctx, tx, func(r *sql.Rows) (x store.Redirect, err error) {
		err = r.Scan(&x.From, &x.To)
		return x, err
	}, `SELECT from_prefix, to_prefix FROM redirects ORDER BY from_prefix`)
}

func loadScanRules(ctx context.Context, tx *sql.Tx) ([]store.ScanRule, error) {
	return collect(ctx, tx, func(r *sql.Rows) (x store.ScanRule, err error) {
		err = r.Scan(&x.Pattern, &x.Repo, &x.Arch)
		return x, err
	}, `SELECT pattern, repo, arch FROM scan_rules ORDER BY position`)
}

// loadDirectories returns every directory, or only those in paths when it
// is not nil, each with its alternates newest first.
func loadDirectories(ctx context.Context, tx *sql.Tx, paths []string) ([]store.Directory, error) {
	if paths != nil {
		var out []store.Directory
		for _, p := range paths {
			ds, err := loadDirectoriesWhere(ctx, tx, `path = ?1`, `directory = ?1`, p)
			if err != nil {
				return nil, err
			}
			out = append(out, ds...)
		}
		return out, nil
	}
	return loadDirectoriesWhere(ctx, tx, `true`, `true`)
}

func loadDirectoriesWhere(ctx context.Context, tx *sql.Tx, where, altWhere string, args ...any) ([]store.Directory, error) {
	dirs, err := collect(ctx, tx, func(r *sql.Rows) (d store.Directory, err error) {
		var recorded int64
		c := &d.Current
		err = r.Scan(&d.Path, &c.Size, &c.Timestamp, &c.MD5, &c.SHA1, &c.SHA256, &c.SHA512, &recorded)
		c.Recorded = fromMicros(recorded)
		return d, err
	}, `SELECT path, size, timestamp, md5, sha1, sha256, sha512, recorded FROM directories
		WHERE `+where+` ORDER BY path`, args...)
	if err != nil || len(dirs) == 0 {
		return dirs, err
	}
	index := make(map[string]*store.Directory, len(dirs))
	for i := range dirs {
		index[dirs[i].Path] = &dirs[i]
	}
	rows, err := tx.QueryContext(ctx, `SELECT directory, size, timestamp, md5, sha1, sha256, sha512, recorded, superseded
		FROM repomd_alternates WHERE `+altWhere+` ORDER BY directory, position`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var dir string
		var r store.Repomd
		var recorded, superseded int64
		if err := rows.Scan(&dir, &r.Size, &r.Timestamp, &r.MD5, &r.SHA1, &r.SHA256, &r.SHA512, &recorded, &superseded); err != nil {
			return nil, err
		}
		r.Recorded, r.Superseded = fromMicros(recorded), fromMicros(superseded)
		if d := index[dir]; d != nil {
			d.Alternates = append(d.Alternates, r)
		}
	}
	return dirs, rows.Err()
}

var newline = []byte{'\n'}

// loadFreshness returns the freshness rows, all of them or only those of
// one mirror or one directory.
func loadFreshness(ctx context.Context, tx *sql.Tx, mirror, directory string) ([]store.Freshness, error) {
	var out []store.Freshness
	err := eachFreshness(ctx, tx, mirror, directory, func(f store.Freshness) error {
		out = append(out, f)
		return nil
	})
	return out, err
}

// eachFreshness calls fn with each freshness row in order, as loadFreshness
// selects them, without holding them all.
func eachFreshness(ctx context.Context, tx *sql.Tx, mirror, directory string, fn func(store.Freshness) error) error {
	// A row comes as one text, split here: its names, its source as a
	// flag (the schema allows only 'report' and 'crawl') and the time it
	// was reported. The driver allocates for each text value it hands out,
	// and takes locks for each column, and at a large network's half a
	// million rows these are most of the time a load takes. Names hold no
	// newline.
	query := `SELECT mirror || char(10) || directory || char(10) || sha256 || char(10) || (source = 'crawl') || reported FROM freshness`
	var args []any
	switch {
	case mirror != "" && directory != "":
		query, args = query+` WHERE mirror = ? AND directory = ?`, []any{mirror, directory}
	case mirror != "":
		query, args = query+` WHERE mirror = ?`, []any{mirror}
	case directory != "":
		query, args = query+` WHERE directory = ?`, []any{directory}
	}
	rows, err := tx.QueryContext(ctx, query+` ORDER BY mirror, directory`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	// Names repeat across rows: one copy of each is kept.
	names := store.Names{}
	var text sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&text); err != nil {
			return err
		}
		m, rest, _ := bytes.Cut(text, newline)
		dir, rest, _ := bytes.Cut(rest, newline)
		sha, rest, _ := bytes.Cut(rest, newline)
		if len(rest) < 2 {
			return fmt.Errorf("freshness of %q for %q: a row without its time", m, dir)
		}
		reported, ok := parseInt(rest[1:])
		if !ok {
			return fmt.Errorf("freshness of %q for %q: reported %q is not a number", m, dir, rest[1:])
		}
		f := store.Freshness{Mirror: names.Of(m), Directory: names.Of(dir), SHA256: names.Of(sha), Reported: fromMicros(reported)}
		if rest[0] == '1' {
			f.Source = store.SourceCrawl
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return rows.Err()
}

// parseInt parses a decimal integer as SQLite writes one, without the
// allocation strconv would make of the bytes.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 { // 18 digits cannot overflow
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func loadCloudRanges(ctx context.Context, tx *sql.Tx) ([]store.CloudRange, error) {
	return collect(ctx, tx, func(r *sql.Rows) (x store.CloudRange, err error) {
		err = r.Scan(&x.Prefix, &x.Provider, &x.Region)
		return x, err
	}, `SELECT prefix, provider, region FROM cloud_ranges ORDER BY provider, position`)
}

func loadCloudSources(ctx context.Context, tx *sql.Tx) ([]store.CloudSource, error) {
	return collect(ctx, tx, func(r *sql.Rows) (x store.CloudSource, err error) {
		var imported int64
		err = r.Scan(&x.Provider, &x.SyncToken, &imported)
		x.Imported = fromMicros(imported)
		return x, err
	}, `SELECT provider, sync_token, imported FROM cloud_sources ORDER BY provider`)
}

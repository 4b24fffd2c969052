package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/metalinkd/metalinkd/store"
)

// Import implements store.Store. Mirrors that remain keep their freshness;
// the freshness of removed mirrors goes with them.
func (s *Store) Import(ctx context.Context, decl *store.Dataset) error {
	defer s.bound(&ctx, s.timeouts.Bulk)()
	decl = decl.Copy()
	detail := map[string]int{"mirrors": len(decl.Mirrors), "locations": len(decl.Locations), "repositories": len(decl.Repositories)}
	err := s.write(ctx, change{"import", "dataset", detail}, func(tx pgx.Tx) error {
		// The scanned directories decide which scan-derived repositories stay.
		dirs, err := loadDirectories(ctx, tx, nil)
		if err != nil {
			return err
		}
		d := &store.Dataset{Directories: dirs}
		d.ApplyImport(decl)
		d.Directories = nil // validated and written elsewhere; only the declarative part changes
		d.Normalize()
		if err := d.Validate(); err != nil {
			return err
		}
		return quietly(ctx, tx, func() error { return replaceDeclarative(ctx, tx, d) })
	})
	return wrap(err, "import")
}

// Restore implements store.Store. Tokens and the audit log, which are not
// part of the dataset, are kept.
func (s *Store) Restore(ctx context.Context, all *store.Dataset) error {
	defer s.bound(&ctx, s.timeouts.Bulk)()
	d := all.Copy()
	d.Normalize()
	if err := d.Validate(); err != nil {
		return wrap(err, "restore")
	}
	detail := map[string]int{"mirrors": len(d.Mirrors), "directories": len(d.Directories)}
	err := s.write(ctx, change{"restore", "dataset", detail}, func(tx pgx.Tx) error {
		return quietly(ctx, tx, func() error { return restore(ctx, tx, d) })
	})
	return wrap(err, "restore")
}

// restore replaces the stored dataset with d, normalised and validated.
func restore(ctx context.Context, tx pgx.Tx, d *store.Dataset) error {
	// Freshness goes first, in one statement: through the cascades of
	// mirrors and directories it would be deleted one parent at a time.
	// Mirrors and directories take the rest of their children, health and
	// the crawler's observations along.
	for _, table := range []string{"freshness", "mirrors", "directories", "cloud_ranges", "cloud_sources", "tree_directories", "tree_files"} {
		if _, err := tx.Exec(ctx, `DELETE FROM `+table); err != nil {
			return err
		}
	}
	if err := replaceDeclarative(ctx, tx, d); err != nil {
		return err
	}
	if err := upsertDirectories(ctx, tx, d.Directories); err != nil {
		return err
	}
	if err := copyFreshness(ctx, tx, d.Freshness); err != nil {
		return err
	}
	if err := writeTreeChanges(ctx, tx, &store.Dataset{}, d); err != nil {
		return err
	}
	for _, h := range d.Health {
		if err := putHealth(ctx, tx, h); err != nil {
			return err
		}
	}
	return replaceCloud(ctx, tx, d.CloudSources, d.CloudRanges)
}

// replaceDeclarative replaces mirrors, locations, repositories, redirects
// and scan rules with d's. Mirrors are updated in place rather than
// recreated, so that the freshness of those that remain survives.
func replaceDeclarative(ctx context.Context, tx pgx.Tx, d *store.Dataset) error {
	mirrors := make([]string, 0, len(d.Mirrors))
	for _, m := range d.Mirrors {
		mirrors = append(mirrors, m.Name)
	}
	locations := make([]string, 0, len(d.Locations))
	for _, l := range d.Locations {
		locations = append(locations, l.Name)
	}
	var repos struct {
		prefixes, arches, dirs []string
		disabled               []bool
	}
	for _, r := range d.Repositories {
		repos.prefixes = append(repos.prefixes, r.Prefix)
		repos.arches = append(repos.arches, r.Arch)
		repos.dirs = append(repos.dirs, r.Directory)
		repos.disabled = append(repos.disabled, r.Disabled)
	}
	var from, to []string
	for _, r := range d.Redirects {
		from = append(from, r.From)
		to = append(to, r.To)
	}
	var patterns, ruleRepos, ruleArches []string
	for _, r := range d.ScanRules {
		patterns = append(patterns, r.Pattern)
		ruleRepos = append(ruleRepos, r.Repo)
		ruleArches = append(ruleArches, r.Arch)
	}
	statements := []struct {
		sql  string
		args []any
	}{
		// Locations in use cannot go while a mirror names them.
		{`DELETE FROM mirror_locations`, nil},
		{`DELETE FROM mirrors WHERE name <> ALL($1)`, []any{mirrors}},
		{`DELETE FROM locations WHERE name <> ALL($1)`, []any{locations}},
		{`DELETE FROM repositories`, nil},
		{`INSERT INTO repositories (prefix, arch, directory, disabled)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[])`,
			[]any{repos.prefixes, repos.arches, repos.dirs, repos.disabled}},
		{`DELETE FROM redirects`, nil},
		{`INSERT INTO redirects (from_prefix, to_prefix) SELECT * FROM unnest($1::text[], $2::text[])`, []any{from, to}},
		{`DELETE FROM scan_rules`, nil},
		{`INSERT INTO scan_rules (position, pattern, repo, arch)
			SELECT ord - 1, p, r, a FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(p, r, a, ord)`,
			[]any{patterns, ruleRepos, ruleArches}},
	}
	for _, st := range statements {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return err
		}
	}
	if err := replaceOverrides(ctx, tx, d.NetblockCountries, d.CountryContinents); err != nil {
		return err
	}
	// Few enough to write one by one; their region lists are ragged arrays.
	for _, l := range d.Locations {
		if err := upsertLocation(ctx, tx, l); err != nil {
			return err
		}
	}
	if len(d.Mirrors) == 0 {
		return nil
	}
	return upsertMirrors(ctx, tx, d.Mirrors)
}

// upsertDirectories creates or replaces directories with their alternates.
func upsertDirectories(ctx context.Context, tx pgx.Tx, dirs []store.Directory) error {
	if len(dirs) == 0 {
		return nil
	}
	var cur, alt repomdColumns
	var paths, altDirs []string
	var altPositions []int32
	for _, d := range dirs {
		paths = append(paths, d.Path)
		cur.add(d.Current)
		for i, a := range d.Alternates {
			altDirs = append(altDirs, d.Path)
			altPositions = append(altPositions, int32(i))
			alt.add(a)
		}
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO directories (path, size, timestamp, md5, sha1, sha256, sha512, recorded)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[],
			$7::text[], $8::timestamptz[])
		ON CONFLICT (path) DO UPDATE SET size = excluded.size, timestamp = excluded.timestamp,
			md5 = excluded.md5, sha1 = excluded.sha1, sha256 = excluded.sha256, sha512 = excluded.sha512,
			recorded = excluded.recorded`,
		paths, cur.sizes, cur.timestamps, cur.md5, cur.sha1, cur.sha256, cur.sha512, cur.recorded)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM repomd_alternates WHERE directory = ANY($1)`, paths); err != nil {
		return err
	}
	if len(altDirs) == 0 {
		return nil
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO repomd_alternates (directory, position, size, timestamp, md5, sha1, sha256, sha512, recorded, superseded)
		SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::timestamptz[], $10::timestamptz[])`,
		altDirs, altPositions, alt.sizes, alt.timestamps, alt.md5, alt.sha1, alt.sha256, alt.sha512, alt.recorded, alt.superseded)
	return err
}

// repomdColumns holds repomd versions as columns for unnest.
type repomdColumns struct {
	sizes, timestamps         []int64
	md5, sha1, sha256, sha512 []string
	recorded, superseded      []time.Time
}

func (c *repomdColumns) add(r store.Repomd) {
	c.sizes = append(c.sizes, r.Size)
	c.timestamps = append(c.timestamps, r.Timestamp)
	c.md5 = append(c.md5, r.MD5)
	c.sha1 = append(c.sha1, r.SHA1)
	c.sha256 = append(c.sha256, r.SHA256)
	c.sha512 = append(c.sha512, r.SHA512)
	c.recorded = append(c.recorded, r.Recorded)
	c.superseded = append(c.superseded, r.Superseded)
}

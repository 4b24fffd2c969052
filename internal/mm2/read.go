package mm2

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Read connects to a MirrorManager2 database and reads the rows the
// conversion needs in one read-only, repeatable-read transaction, so that
// they are one consistent state even while MirrorManager's crawler and web
// application write. It never writes.
func Read(ctx context.Context, url string) (*Source, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("mirrormanager2 database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var src *Source
	err = pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error {
			var err error
			src, err = readAll(ctx, tx)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("mirrormanager2 database: %w", err)
	}
	return src, nil
}

// readAll runs the queries one table after the other.
func readAll(ctx context.Context, tx pgx.Tx) (*Source, error) {
	s := &Source{Sites: map[int64]Site{}, Directories: map[int64]string{}, CategoryDirs: map[int64][]int64{},
		Arches: map[int64]string{}, Locations: map[int64]string{}}
	sites, err := query[Site](ctx, tx, `SELECT id, name, private, admin_active, user_active FROM site`)
	if err != nil {
		return nil, err
	}
	for _, x := range sites {
		s.Sites[x.ID] = x
	}
	if s.Hosts, err = query[Host](ctx, tx, `SELECT id, name, site_id, admin_active, user_active, country,
		bandwidth_int, private, internet2, internet2_clients, asn, asn_clients, max_connections,
		last_crawled, crawl_failures, disable_reason FROM host ORDER BY id`); err != nil {
		return nil, err
	}
	type idName struct {
		ID   int64
		Name string
	}
	dirs, err := query[idName](ctx, tx, `SELECT id, name FROM directory`)
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		s.Directories[d.ID] = d.Name
	}
	if s.Categories, err = query[Category](ctx, tx, `SELECT c.id, c.name, coalesce(d.name, '')
		FROM category c LEFT JOIN directory d ON d.id = c.topdir_id ORDER BY c.id`); err != nil {
		return nil, err
	}
	type pair struct{ A, B int64 }
	cds, err := query[pair](ctx, tx, `SELECT category_id, directory_id FROM category_directory ORDER BY 1, 2`)
	if err != nil {
		return nil, err
	}
	for _, p := range cds {
		s.CategoryDirs[p.A] = append(s.CategoryDirs[p.A], p.B)
	}
	if s.HostCategories, err = query[HostCategory](ctx, tx, `SELECT id, host_id, category_id, always_up2date
		FROM host_category WHERE host_id IS NOT NULL AND category_id IS NOT NULL ORDER BY id`); err != nil {
		return nil, err
	}
	if s.URLs, err = query[HostCategoryURL](ctx, tx, `SELECT id, host_category_id, url, private
		FROM host_category_url ORDER BY id`); err != nil {
		return nil, err
	}
	if s.CategoryDirRows, err = query[HostCategoryDir](ctx, tx, `SELECT host_category_id, directory_id, path, up2date
		FROM host_category_dir`); err != nil {
		return nil, err
	}
	if err := readHostExtras(ctx, tx, s); err != nil {
		return nil, err
	}
	if err := readRepositories(ctx, tx, s); err != nil {
		return nil, err
	}
	if err := readGeography(ctx, tx, s); err != nil {
		return nil, err
	}
	return s, readLocations(ctx, tx, s)
}

// readHostExtras reads the per-host tables: netblocks, peer ASNs, allowed
// countries and exclusive directories.
func readHostExtras(ctx context.Context, tx pgx.Tx, s *Source) (err error) {
	if s.Netblocks, err = query[HostNetblock](ctx, tx, `SELECT id, host_id, coalesce(netblock, '')
		FROM host_netblock WHERE host_id IS NOT NULL ORDER BY id`); err != nil {
		return err
	}
	if s.PeerASNs, err = query[HostPeerASN](ctx, tx, `SELECT host_id, asn FROM host_peer_asn
		WHERE host_id IS NOT NULL ORDER BY id`); err != nil {
		return err
	}
	if s.CountriesAllowed, err = query[HostCountryAllowed](ctx, tx, `SELECT host_id, country
		FROM host_country_allowed WHERE host_id IS NOT NULL ORDER BY id`); err != nil {
		return err
	}
	s.ExclusiveHosts, err = query[ExclusiveHost](ctx, tx, `SELECT directory_id, host_id
		FROM directory_exclusive_host ORDER BY id`)
	return err
}

// readRepositories reads arches, repositories, redirects and the file
// details (newest first per directory and file).
func readRepositories(ctx context.Context, tx pgx.Tx, s *Source) error {
	type idName struct {
		ID   int64
		Name string
	}
	arches, err := query[idName](ctx, tx, `SELECT id, name FROM arch`)
	if err != nil {
		return err
	}
	for _, a := range arches {
		s.Arches[a.ID] = a.Name
	}
	if s.Repositories, err = query[Repository](ctx, tx, `SELECT id, name, prefix, arch_id, directory_id, disabled
		FROM repository ORDER BY id`); err != nil {
		return err
	}
	if s.Redirects, err = query[RepositoryRedirect](ctx, tx, `SELECT from_repo, to_repo
		FROM repository_redirect ORDER BY from_repo`); err != nil {
		return err
	}
	s.FileDetails, err = query[FileDetail](ctx, tx, `SELECT id, directory_id, filename, timestamp, size,
		md5, sha1, sha256, sha512 FROM file_detail
		ORDER BY directory_id, filename, timestamp DESC NULLS LAST, id DESC`)
	return err
}

// readGeography reads the network-wide overrides of MirrorManager's
// geography: netblock → country, country → continent, embargoed countries.
func readGeography(ctx context.Context, tx pgx.Tx, s *Source) (err error) {
	if s.NetblockCountries, err = query[NetblockCountry](ctx, tx, `SELECT netblock, country
		FROM netblock_country ORDER BY id`); err != nil {
		return err
	}
	if s.ContinentRedirects, err = query[ContinentRedirect](ctx, tx, `SELECT country, continent
		FROM country_continent_redirect ORDER BY id`); err != nil {
		return err
	}
	type code struct{ Code string }
	codes, err := query[code](ctx, tx, `SELECT country_code FROM embargoed_country ORDER BY id`)
	for _, c := range codes {
		s.Embargoed = append(s.Embargoed, c.Code)
	}
	return err
}

// readLocations reads MirrorManager 1.4's location tables when the
// database has them (MirrorManager2 kept them; older schemas may not).
func readLocations(ctx context.Context, tx pgx.Tx, s *Source) error {
	if err := tx.QueryRow(ctx, `SELECT to_regclass('location') IS NOT NULL AND to_regclass('host_location') IS NOT NULL`).
		Scan(&s.HasLocations); err != nil || !s.HasLocations {
		return err
	}
	type idName struct {
		ID   int64
		Name string
	}
	locs, err := query[idName](ctx, tx, `SELECT id, name FROM location`)
	if err != nil {
		return err
	}
	for _, l := range locs {
		s.Locations[l.ID] = l.Name
	}
	s.HostLocations, err = query[HostLocation](ctx, tx, `SELECT location_id, host_id FROM host_location ORDER BY id`)
	return err
}

// query collects the rows of sql into values of T, column by column.
func query[T any](ctx context.Context, tx pgx.Tx, sql string) ([]T, error) {
	rows, err := tx.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[T])
	if err != nil {
		return nil, fmt.Errorf("%.40s…: %w", sql, err)
	}
	return out, nil
}

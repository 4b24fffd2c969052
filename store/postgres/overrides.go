package postgres

import (
	"context"
	"net/netip"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/metalinkd/metalinkd/store"
)

// Overrides implements store.Store.
func (s *Store) Overrides(ctx context.Context) (o store.Overrides, err error) {
	defer s.bound(&ctx, s.timeouts.Read)()
	err = s.read(ctx, func(tx pgx.Tx) error {
		o.NetblockCountries, o.CountryContinents, err = loadOverrides(ctx, tx)
		return err
	})
	return o, wrap(err, "overrides")
}

// ReplaceOverrides implements store.Store.
func (s *Store) ReplaceOverrides(ctx context.Context, o store.Overrides) error {
	defer s.bound(&ctx, s.timeouts.Write)()
	d := &store.Dataset{}
	if err := d.ApplyOverrides(o); err != nil {
		return wrap(err, "overrides")
	}
	detail := map[string]int{"netblock_countries": len(d.NetblockCountries), "country_continents": len(d.CountryContinents)}
	err := s.write(ctx, change{"replace_overrides", "overrides", detail}, func(tx pgx.Tx) error {
		return replaceOverrides(ctx, tx, d.NetblockCountries, d.CountryContinents)
	})
	return wrap(err, "overrides")
}

// loadOverrides returns both override lists in the order Normalize gives.
func loadOverrides(ctx context.Context, tx pgx.Tx) ([]store.NetblockCountry, []store.CountryContinent, error) {
	rows, _ := tx.Query(ctx, `SELECT netblock, country FROM netblock_countries`)
	nc, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.NetblockCountry, error) {
		var p netip.Prefix
		var x store.NetblockCountry
		err := row.Scan(&p, &x.Country)
		x.Netblock = p.String()
		return x, err
	})
	if err != nil {
		return nil, nil, err
	}
	if len(nc) == 0 {
		nc = nil
	}
	slices.SortFunc(nc, func(a, b store.NetblockCountry) int { return strings.Compare(a.Netblock, b.Netblock) })
	rows, _ = tx.Query(ctx, `SELECT country, continent FROM country_continents ORDER BY country COLLATE "C"`)
	cc, err := pgx.CollectRows(rows, pgx.RowToStructByPos[store.CountryContinent])
	if len(cc) == 0 {
		cc = nil
	}
	return nc, cc, err
}

// replaceOverrides replaces both override lists, already validated.
func replaceOverrides(ctx context.Context, tx pgx.Tx, nc []store.NetblockCountry, cc []store.CountryContinent) error {
	var netblocks, countries, ccCountries, continents []string
	for _, o := range nc {
		netblocks, countries = append(netblocks, o.Netblock), append(countries, o.Country)
	}
	for _, o := range cc {
		ccCountries, continents = append(ccCountries, o.Country), append(continents, o.Continent)
	}
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM netblock_countries`, nil},
		{`INSERT INTO netblock_countries (netblock, country)
			SELECT n::cidr, c FROM unnest($1::text[], $2::text[]) AS t(n, c)`, []any{netblocks, countries}},
		{`DELETE FROM country_continents`, nil},
		{`INSERT INTO country_continents (country, continent) SELECT * FROM unnest($1::text[], $2::text[])`,
			[]any{ccCountries, continents}},
	} {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return err
		}
	}
	return nil
}

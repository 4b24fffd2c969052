package sqlite

import (
	"context"
	"database/sql"

	"github.com/metalinkd/metalinkd/store"
)

// Overrides implements store.Store.
func (s *Store) Overrides(ctx context.Context) (store.Overrides, error) {
	var o store.Overrides
	err := s.read(ctx, func(tx *sql.Tx) (err error) {
		o.NetblockCountries, o.CountryContinents, err = loadOverrides(ctx, tx)
		return err
	})
	return o, wrap(err, "overrides")
}

// ReplaceOverrides implements store.Store.
func (s *Store) ReplaceOverrides(ctx context.Context, o store.Overrides) error {
	d := &store.Dataset{}
	if err := d.ApplyOverrides(o); err != nil {
		return wrap(err, "overrides")
	}
	detail := map[string]int{"netblock_countries": len(d.NetblockCountries), "country_continents": len(d.CountryContinents)}
	err := s.write(ctx, change{"replace_overrides", "overrides", detail}, func(tx *sql.Tx) error {
		return replaceOverrides(ctx, tx, d.NetblockCountries, d.CountryContinents)
	})
	return wrap(err, "overrides")
}

func loadOverrides(ctx context.Context, tx *sql.Tx) ([]store.NetblockCountry, []store.CountryContinent, error) {
	nc, err := collect(ctx, tx, func(r *sql.Rows) (x store.NetblockCountry, err error) {
		err = r.Scan(&x.Netblock, &x.Country)
		return x, err
	}, `SELECT netblock, country FROM netblock_countries ORDER BY netblock`)
	if err != nil {
		return nil, nil, err
	}
	cc, err := collect(ctx, tx, func(r *sql.Rows) (x store.CountryContinent, err error) {
		err = r.Scan(&x.Country, &x.Continent)
		return x, err
	}, `SELECT country, continent FROM country_continents ORDER BY country`)
	return nc, cc, err
}

// replaceOverrides replaces both override lists, already validated.
func replaceOverrides(ctx context.Context, tx *sql.Tx, nc []store.NetblockCountry, cc []store.CountryContinent) error {
	for _, table := range []string{"netblock_countries", "country_continents"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table); err != nil {
			return err
		}
	}
	for _, o := range nc {
		if _, err := tx.ExecContext(ctx, `INSERT INTO netblock_countries (netblock, country) VALUES (?, ?)`, o.Netblock, o.Country); err != nil {
			return err
		}
	}
	for _, o := range cc {
		if _, err := tx.ExecContext(ctx, `INSERT INTO country_continents (country, continent) VALUES (?, ?)`, o.Country, o.Continent); err != nil {
			return err
		}
	}
	return nil
}

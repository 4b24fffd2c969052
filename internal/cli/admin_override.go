package cli

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/metalinkd/metalinkd/internal/adminapi"
)

func runOverride(ctx context.Context, env Env, args []string) error {
	return runGroup(ctx, env, "override", "Show or replace the admin's overrides of GeoIP and of the continent table.", []subcommand{
		{"list", "show the netblock → country and country → continent overrides", overrideList},
		{"set", "replace both lists of overrides", overrideSet},
	}, args)
}

func overrideList(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "override list", "[flags]",
		"Show the overrides: clients inside a netblock count as its country (before GeoIP); a country counts as "+
			"being on the continent given.")
	af := addAPIFlags(env, fs)
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	c, err := af.client(env)
	if err != nil {
		return err
	}
	var out adminapi.Overrides
	if printed, err := c.call(ctx, env, af, http.MethodGet, "/overrides", nil, &out); err != nil || printed {
		return err
	}
	rows := make([][]string, 0, len(out.NetblockCountries)+len(out.CountryContinents))
	for _, o := range out.NetblockCountries {
		rows = append(rows, []string{"netblock-country", o.Netblock, o.Country})
	}
	for _, o := range out.CountryContinents {
		rows = append(rows, []string{"country-continent", o.Country, o.Continent})
	}
	return table(env.Stdout, []string{"KIND", "FROM", "TO"}, rows)
}

func overrideSet(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "override set", "[--netblock-country CIDR=CC]... [--country-continent CC=CONTINENT]... [--clear]",
		"Replace both lists of overrides with the ones given (a list not given becomes empty), as one change. "+
			"Continents are AF, AN, AS, EU, NA, OC and SA; e.g. --country-continent IL=EU.")
	af := addAPIFlags(env, fs)
	var netblocks, continents stringList
	fs.Var(&netblocks, "netblock-country", "`CIDR=CC`: clients inside CIDR count as country CC (repeatable)")
	fs.Var(&continents, "country-continent", "`CC=CONTINENT`: country CC counts as being on CONTINENT (repeatable)")
	clear := fs.Bool("clear", false, "remove every override (needed when no override is given)")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	if len(netblocks)+len(continents) == 0 && !*clear {
		return usageError{"nothing given: pass --netblock-country or --country-continent, or --clear to remove every override"}
	}
	body := adminapi.Overrides{NetblockCountries: []adminapi.NetblockCountry{}, CountryContinents: []adminapi.CountryContinent{}}
	for _, v := range netblocks {
		nb, cc, ok := strings.Cut(v, "=")
		if !ok {
			return usageError{fmt.Sprintf("--netblock-country %q: want CIDR=CC, such as 192.0.2.0/24=IL", v)}
		}
		body.NetblockCountries = append(body.NetblockCountries, adminapi.NetblockCountry{Netblock: nb, Country: cc})
	}
	for _, v := range continents {
		cc, cont, ok := strings.Cut(v, "=")
		if !ok {
			return usageError{fmt.Sprintf("--country-continent %q: want CC=CONTINENT, such as IL=EU", v)}
		}
		body.CountryContinents = append(body.CountryContinents, adminapi.CountryContinent{Country: cc, Continent: cont})
	}
	c, err := af.client(env)
	if err != nil {
		return err
	}
	var out adminapi.Overrides
	if printed, err := c.call(ctx, env, af, http.MethodPut, "/overrides", body, &out); err != nil || printed {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "overrides replaced: %d netblock → country, %d country → continent\n",
		len(out.NetblockCountries), len(out.CountryContinents))
	return err
}

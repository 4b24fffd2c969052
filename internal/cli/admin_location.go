package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/metalinkd/metalinkd/internal/adminapi"
)

func runLocation(ctx context.Context, env Env, args []string) error {
	return runGroup(ctx, env, "location", "Manage locations (the names guests send as location=) through the admin API.", []subcommand{
		{"list", "list the locations", locationList},
		{"add", "declare a location", locationAdd},
		{"delete", "remove a location no mirror names", action{name: "location delete", args: []string{"NAME"},
			about:  "Remove a location; one that a mirror still names is refused.",
			method: http.MethodDelete, done: "deleted location",
			path: func(pos []string) string { return "/locations/" + url.PathEscape(pos[0]) }}.run},
	}, args)
}

func locationList(ctx context.Context, env Env, args []string) error {
	var out adminapi.LocationList
	if printed, err := list(ctx, env, args, "location list", "List every location.", "/locations", &out); err != nil || printed {
		return err
	}
	rows := make([][]string, len(out.Locations))
	for i, l := range out.Locations {
		rows[i] = []string{l.Name, strings.Join(l.CloudRegions, ","), l.Description}
	}
	return table(env.Stdout, []string{"NAME", "CLOUD-REGIONS", "DESCRIPTION"}, rows)
}

func locationAdd(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "location add", "NAME [flags]",
		"Declare a location: a short lower-case name such as us-east-1 that guests send as location=.")
	af := addAPIFlags(env, fs)
	desc := fs.String("description", "", "what the location is, for people")
	var regions stringList
	fs.Var(&regions, "cloud-region", "cloud `region` whose address ranges steer clients here (repeatable; default: the region of the same name)")
	pos, err := parseArgs(fs, args, "NAME")
	if err != nil {
		return err
	}
	c, err := af.client(env)
	if err != nil {
		return err
	}
	body := adminapi.Location{Name: pos[0], Description: *desc, CloudRegions: regions}
	if printed, err := c.call(ctx, env, af, http.MethodPost, "/locations", body, nil); err != nil || printed {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "added location %s\n", pos[0])
	return err
}

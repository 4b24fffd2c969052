package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/metalinkd/metalinkd/internal/adminapi"
)

func runMirror(ctx context.Context, env Env, args []string) error {
	return runGroup(ctx, env, "mirror", "Manage mirrors through the admin API of a running server.", []subcommand{
		{"list", "list the mirrors", mirrorList},
		{"get", "show one mirror, the repomd versions it serves and its health", mirrorGet},
		{"show", "the same as get", mirrorGet},
		{"add", "register a mirror", mirrorAdd},
		{"update", "change some of a mirror's fields", mirrorUpdate},
		{"delete", "remove a mirror and its freshness", mirrorAction("delete", http.MethodDelete, "",
			"Remove a mirror, its freshness reports and its report tokens.")},
		{"enable", "list a mirror again", mirrorAction("enable", http.MethodPost, "/enable",
			"Enable a mirror: a disabled mirror is never listed.")},
		{"disable", "stop listing a mirror", mirrorAction("disable", http.MethodPost, "/disable",
			"Disable a mirror: a disabled mirror is never listed.")},
		{"recover", "list a mirror the crawler disabled again", action{name: "mirror recover",
			about: "Bring back a mirror the crawler took out of answers after failed crawls, and forget its failures.\n" +
				"Its enabled flag is not touched: a mirror disabled by its admin stays disabled.",
			args: []string{"NAME"}, method: http.MethodPost,
			path: func(pos []string) string { return mirrorPath(pos[0]) + "/recover" }, done: "recovered mirror"}.run},
	}, args)
}

func mirrorPath(name string) string { return "/mirrors/" + url.PathEscape(name) }

func mirrorList(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "mirror list", "[flags]", "List every mirror with its state, or with --stale those with a stale directory.\n"+
		"STATE is ok, disabled-by-crawler (REASON says why and since when), admin-disabled, or unknown\n"+
		"(never crawled: private and regional mirrors are not).")
	af := addAPIFlags(env, fs)
	stale := fs.Bool("stale", false, "list only mirrors that reported an older repomd.xml for at least one directory, with counts")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	c, err := af.client(env)
	if err != nil {
		return err
	}
	if *stale {
		return mirrorListStale(ctx, env, c, af)
	}
	var out adminapi.MirrorList
	if printed, err := c.call(ctx, env, af, http.MethodGet, "/mirrors", nil, &out); err != nil || printed {
		return err
	}
	health := map[string]adminapi.MirrorHealth{}
	hl, err := c.api.Health(ctx)
	var ae *adminapi.Error
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		// A server older than the crawler: the state is not known.
	case errors.As(err, &ae):
		return apiError{ae}
	case err != nil:
		return err
	}
	for _, h := range hl.Mirrors {
		health[h.Mirror] = h
	}
	rows := make([][]string, len(out.Mirrors))
	for i, m := range out.Mirrors {
		var flags []string
		if m.Private {
			flags = append(flags, "private")
		}
		if m.AlwaysUpToDate {
			flags = append(flags, "always-up-to-date")
		}
		if m.Region != "" || m.Bucket != "" { // a regional bucket mirror
			flags = append(flags, "regional")
		}
		if m.IPv4 != nil && !*m.IPv4 {
			flags = append(flags, "ipv6-only")
		}
		if m.IPv6 != nil && !*m.IPv6 {
			flags = append(flags, "ipv4-only")
		}
		if len(m.CountriesAllowed) > 0 {
			flags = append(flags, "only:"+strings.Join(m.CountriesAllowed, "+"))
		}
		h := health[m.Name]
		rows[i] = []string{m.Name, m.Country, strconv.Itoa(m.Bandwidth), yesNo(m.Enabled), h.State, strings.Join(flags, ","),
			strings.Join(m.Locations, ","), strings.Join(m.URLs, " "), stateReason(h)}
	}
	return table(env.Stdout, []string{"NAME", "COUNTRY", "BANDWIDTH", "ENABLED", "STATE", "FLAGS", "LOCATIONS", "URLS", "REASON"}, rows)
}

// stateReason says why and since when the crawler disabled a mirror.
func stateReason(h adminapi.MirrorHealth) string {
	if h.Reason == "" {
		return ""
	}
	return h.Reason + " (since " + timeCell(h.Since) + ")"
}

// staleShown is how many stale directories a row of mirror list --stale names.
const staleShown = 3

// mirrorListStale prints the mirrors with at least one stale directory:
// their directories counted by state and the first stale ones.
func mirrorListStale(ctx context.Context, env Env, c *apiClient, af *apiFlags) error {
	var out adminapi.FreshnessView
	if printed, err := c.call(ctx, env, af, http.MethodGet, "/freshness?stale=true", nil, &out); err != nil || printed {
		return err
	}
	if len(out.Mirrors) == 0 {
		_, err := fmt.Fprintln(env.Stdout, "no mirror has a stale directory")
		return err
	}
	rows := make([][]string, len(out.Mirrors))
	for i, m := range out.Mirrors {
		var dirs []string
		for _, d := range m.StaleDirectories[:min(len(m.StaleDirectories), staleShown)] {
			dirs = append(dirs, d.Directory)
		}
		if more := m.Stale - len(dirs); more > 0 {
			dirs = append(dirs, fmt.Sprintf("(%d more)", more))
		}
		rows[i] = []string{m.Name, yesNo(m.Enabled), strconv.Itoa(m.Fresh), strconv.Itoa(m.Stale), strconv.Itoa(m.Unknown), strings.Join(dirs, " ")}
	}
	return table(env.Stdout, []string{"NAME", "ENABLED", "FRESH", "STALE", "UNKNOWN", "STALE DIRECTORIES"}, rows)
}

func mirrorGet(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "mirror get", "NAME [flags]", "Show one mirror: its fields, its state and last crawl with each protocol's health,\n"+
		"and per directory the repomd.xml it serves, whether it said so (report) or the crawler saw it (crawl), and when.")
	af := addAPIFlags(env, fs)
	pos, err := parseArgs(fs, args, "NAME")
	if err != nil {
		return err
	}
	c, err := af.client(env)
	if err != nil {
		return err
	}
	var m adminapi.MirrorDetail
	if printed, err := c.call(ctx, env, af, http.MethodGet, mirrorPath(pos[0]), nil, &m); err != nil || printed {
		return err
	}
	asn := ""
	if m.ASN != 0 {
		asn = strconv.FormatUint(uint64(m.ASN), 10)
	}
	fields := [][]string{
		{"name", m.Name}, {"country", m.Country}, {"bandwidth", strconv.Itoa(m.Bandwidth)}, {"enabled", yesNo(m.Enabled)},
		{"private", yesNo(m.Private)}, {"always_up_to_date", yesNo(m.AlwaysUpToDate)}, {"urls", strings.Join(m.URLs, " ")},
		{"netblocks", strings.Join(m.Netblocks, " ")}, {"asn", asn}, {"locations", strings.Join(m.Locations, " ")},
		{"region", m.Region}, {"bucket", m.Bucket}, {"countries_allowed", strings.Join(m.CountriesAllowed, " ")},
		{"ipv4", yesNo(m.IPv4 == nil || *m.IPv4)}, {"ipv6", yesNo(m.IPv6 == nil || *m.IPv6)},
	}
	if h := m.Health; h != nil {
		fields = append(fields, []string{"state", h.State}, []string{"reason", stateReason(*h)},
			[]string{"last_crawl", timeCell(h.LastCrawl)}, []string{"failed_crawls", strconv.Itoa(h.ConsecutiveFailures)})
	}
	if err := table(env.Stdout, []string{"FIELD", "VALUE"}, fields); err != nil {
		return err
	}
	if h := m.Health; h != nil && len(h.Protocols) > 0 {
		fmt.Fprintln(env.Stdout)
		rows := make([][]string, len(h.Protocols))
		for i, p := range h.Protocols {
			rows[i] = []string{p.Protocol, timeCell(p.LastSuccess), timeCell(p.LastFailure), p.LastReason, p.LastDetail,
				strconv.Itoa(p.ConsecutiveFailures)}
		}
		if err := table(env.Stdout, []string{"PROTOCOL", "LAST SUCCESS", "LAST FAILURE", "REASON", "DETAIL", "FAILURES"}, rows); err != nil {
			return err
		}
	}
	if len(m.Freshness) == 0 {
		_, err := fmt.Fprintln(env.Stdout, "\nno freshness reports")
		return err
	}
	fmt.Fprintln(env.Stdout)
	rows := make([][]string, len(m.Freshness))
	for i, f := range m.Freshness {
		rows[i] = []string{f.Directory, f.SHA256, f.Source, timeCell(f.Reported)}
	}
	return table(env.Stdout, []string{"DIRECTORY", "SHA256", "SOURCE", "REPORTED"}, rows)
}

// mirrorFields adds the flags of a mirror's fields; fields returns the
// body with the fields given on the command line (all of them for add).
func mirrorFields(fs *flag.FlagSet) (fields func(all bool) map[string]any) {
	country := fs.String("country", "", "ISO 3166 `code` of the mirror's country")
	bandwidth := fs.Int("bandwidth", 0, "bandwidth in `Mbit/s` (> 0), the weight of the shuffle")
	var urls, netblocks, locations stringList
	fs.Var(&urls, "url", "base `URL` of the master tree's root, one per protocol (repeatable; update replaces the list)")
	fs.Var(&netblocks, "netblock", "`CIDR` whose clients come first (repeatable; update replaces the list, '' clears it)")
	asn := fs.Uint("asn", 0, "autonomous system `number` whose clients come next (0: none)")
	fs.Var(&locations, "location", "`name` of a location this mirror serves first (repeatable; update replaces the list, '' clears it)")
	private := fs.Bool("private", false, "listed only through netblocks and locations")
	upToDate := fs.Bool("always-up-to-date", false, "listed without freshness reports")
	enabled := fs.Bool("enabled", true, "listed at all (see also enable and disable)")
	region := fs.String("region", "", "cloud `region` of a regional bucket mirror")
	bucket := fs.String("bucket", "", "S3 `bucket` of a regional bucket mirror")
	var allowed stringList
	fs.Var(&allowed, "country-allowed", "ISO 3166 `code` of a country whose clients alone get this mirror "+
		"(repeatable; none: every country; update replaces the list, '' clears it)")
	ipv4 := fs.Bool("ipv4", true, "reachable over IPv4 (IPv4 clients get such mirrors first)")
	ipv6 := fs.Bool("ipv6", true, "reachable over IPv6 (IPv6 clients get such mirrors first)")
	values := map[string]func() any{
		"country": func() any { return *country }, "bandwidth": func() any { return *bandwidth },
		"url": func() any { return []string(urls) }, "netblock": func() any { return []string(netblocks) },
		"asn": func() any { return *asn }, "location": func() any { return []string(locations) },
		"private": func() any { return *private }, "always-up-to-date": func() any { return *upToDate },
		"enabled": func() any { return *enabled }, "region": func() any { return *region }, "bucket": func() any { return *bucket },
		"country-allowed": func() any { return []string(allowed) },
		"ipv4":            func() any { return *ipv4 }, "ipv6": func() any { return *ipv6 },
	}
	jsonName := map[string]string{"url": "urls", "netblock": "netblocks", "location": "locations", "always-up-to-date": "always_up_to_date",
		"country-allowed": "countries_allowed"}
	return func(all bool) map[string]any {
		body := map[string]any{}
		add := func(f *flag.Flag) {
			get, ok := values[f.Name]
			if !ok {
				return
			}
			name := f.Name
			if j, ok := jsonName[name]; ok {
				name = j
			}
			body[name] = get()
		}
		if all {
			fs.VisitAll(add)
		} else {
			fs.Visit(add)
		}
		return body
	}
}

func mirrorAdd(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "mirror add", "NAME --country CC --bandwidth N --url URL... [flags]",
		"Register a mirror. It is listed for a directory once reported fresh there (or with --always-up-to-date).")
	af := addAPIFlags(env, fs)
	fields := mirrorFields(fs)
	pos, err := parseArgs(fs, args, "NAME")
	if err != nil {
		return err
	}
	c, err := af.client(env)
	if err != nil {
		return err
	}
	body := fields(true)
	body["name"] = pos[0]
	if printed, err := c.call(ctx, env, af, http.MethodPost, "/mirrors", body, nil); err != nil || printed {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "added mirror %s\n", pos[0])
	return err
}

func mirrorUpdate(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "mirror update", "NAME [flags]", "Change the fields given as flags; the others stay.")
	af := addAPIFlags(env, fs)
	fields := mirrorFields(fs)
	pos, err := parseArgs(fs, args, "NAME")
	if err != nil {
		return err
	}
	body := fields(false)
	if len(body) == 0 {
		return usageError{"nothing to change: give at least one field flag"}
	}
	c, err := af.client(env)
	if err != nil {
		return err
	}
	if printed, err := c.call(ctx, env, af, http.MethodPatch, mirrorPath(pos[0]), body, nil); err != nil || printed {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "updated mirror %s\n", pos[0])
	return err
}

// mirrorAction returns a subcommand acting on one mirror.
func mirrorAction(verb, method, suffix, about string) func(context.Context, Env, []string) error {
	return action{name: "mirror " + verb, about: about, args: []string{"NAME"}, method: method,
		path: func(pos []string) string { return mirrorPath(pos[0]) + suffix }, done: verb + "d mirror"}.run
}

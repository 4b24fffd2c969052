package cli

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/metalinkd/metalinkd/internal/adminapi"
)

// runExplain asks the admin API why the answer to a query lists the
// mirrors it does.
func runExplain(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "explain", "[flags]", "Show the /metalink answer for a query, as the server gives it now: its mirrors in\n"+
		"order with the selection step that listed each (location, cloud, netblock, asn, country,\n"+
		"continent, global), then every other mirror with the reason it was left out (disabled,\n"+
		"disabled-by-crawler, not-carried, stale, country-limit, not-in-location, regional, private,\n"+
		"address-family, protocol, over-list). Needs an admin token: it names private mirrors.")
	var q adminapi.ExplainQuery
	fs.StringVar(&q.Repo, "repo", "", "repository, as repo= (with --arch)")
	fs.StringVar(&q.Arch, "arch", "", "architecture, as arch=")
	fs.StringVar(&q.Path, "path", "", "a path of the master tree, as path= (instead of --repo and --arch)")
	fs.StringVar(&q.IP, "ip", "", "the client `address` to explain the answer for (its netblock, ASN, cloud range and GeoIP country)")
	fs.StringVar(&q.Location, "location", "", "location=, as a guest in a cloud sends it")
	fs.StringVar(&q.Country, "country", "", "country=: comma list of country codes, or global")
	fs.StringVar(&q.Protocol, "protocol", "", "protocol=: comma list of http, https, ftp, rsync")
	fs.StringVar(&q.IPV, "ipv", "", "ipv=: the address family to favour, 4 or 6")
	af := addAPIFlags(env, fs)
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	if q.Path == "" && (q.Repo == "" || q.Arch == "") {
		return usageError{"explain: give --repo and --arch, or --path"}
	}
	c, err := af.client(env)
	if err != nil {
		return err
	}
	var e adminapi.Explanation
	if printed, err := c.call(ctx, env, af, http.MethodGet, q.URLPath(), nil, &e); err != nil || printed {
		return err
	}
	return printExplanation(env, e)
}

// printExplanation prints the client as selection saw it, then one row
// per mirror: the listed ones in order, then those left out.
func printExplanation(env Env, e adminapi.Explanation) error {
	if e.Message != "" {
		_, err := fmt.Fprintf(env.Stdout, "no mirrors: the answer is %d %q\n", e.Status, e.Message)
		return err
	}
	family := "any"
	if e.Family != 0 {
		family = "IPv" + strconv.Itoa(e.Family)
	}
	asn := ""
	if e.ASN != 0 {
		asn = strconv.FormatUint(uint64(e.ASN), 10)
	}
	fmt.Fprintf(env.Stdout, "directory %s; client country %s, ASN %s, family %s\n\n", e.Directory, dash(e.Country), dash(asn), family)
	rows := make([][]string, 0, len(e.Listed)+len(e.LeftOut))
	for _, m := range e.Listed {
		rows = append(rows, []string{strconv.Itoa(m.Position), m.Mirror, m.Step, "", m.Detail})
	}
	for _, m := range e.LeftOut {
		rows = append(rows, []string{"", m.Mirror, "", m.Reason, m.Detail})
	}
	return table(env.Stdout, []string{"POSITION", "MIRROR", "STEP", "LEFT OUT", "DETAIL"}, rows)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

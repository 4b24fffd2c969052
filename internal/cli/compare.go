package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/metalinkd/metalinkd/internal/mm2"
	"github.com/metalinkd/metalinkd/internal/version"
	"github.com/metalinkd/metalinkd/store"
)

const compareAbout = "Send the same queries to a reference server (MirrorManager's, during a switch-over) and to\n" +
	"ours, and report where the answers differ: the set of mirrors (by the host of their URLs),\n" +
	"the number of alternates, and the order rules: the runs of private, same-country,\n" +
	"same-continent and other mirrors, which the random shuffle within a step does not change.\n" +
	"\n" +
	"The queries are every enabled repository and arch of our store (or --repo), once per\n" +
	"--country (country=) and once per --ip (ip=, which both servers must honour), as metalink\n" +
	"and as mirrorlist. Without --country, the five countries with the most mirrors are used.\n" +
	"\n" +
	"Exit codes: 0 the answers agree, 1 they differ (or a server failed), 2 bad usage."

// comparison is one query sent to both servers.
type comparison struct {
	path, query, country string
}

func runCompare(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "compare", "--reference URL [--ours URL] [flags]", compareAbout)
	choice := storeFlags(env, fs)
	reference := fs.String("reference", "", "base `URL` of the reference server (its /metalink and /mirrorlist are asked)")
	ours := fs.String("ours", "http://127.0.0.1:8080", "base `URL` of our server")
	countries := fs.String("country", "", "comma list of `countries` to ask for (country=)")
	ips := fs.String("ip", "", "comma list of client `addresses` to ask for (ip=)")
	repos := fs.String("repo", "", "comma list of `repo/arch` pairs (default: every enabled repository of the store)")
	parallel := fs.Int("parallel", 4, "queries in flight at once")
	timeout := fs.Duration("timeout", 30*time.Second, "deadline of one request")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if *reference == "" {
		return usageError{"--reference is required"}
	}
	if *parallel < 1 {
		return usageError{"--parallel must be at least 1"}
	}
	for _, u := range []string{*reference, *ours} {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return usageError{fmt.Sprintf("%q is not an http(s) URL", u)}
		}
	}
	pairs, clients, err := compareInputs(ctx, env, choice, *repos, *countries, *ips)
	if err != nil {
		return err
	}
	var queries []comparison
	for _, p := range pairs {
		for _, c := range clients {
			for _, path := range []string{"/metalink", "/mirrorlist"} {
				q := url.Values{"repo": {p[0]}, "arch": {p[1]}}
				country := ""
				if strings.Contains(c, ".") || strings.Contains(c, ":") {
					q.Set("ip", c)
				} else {
					q.Set("country", c)
					country = strings.ToUpper(c)
				}
				queries = append(queries, comparison{path: path, query: q.Encode(), country: country})
			}
		}
	}
	client := &http.Client{Timeout: *timeout}
	diffs, failed := compareAll(ctx, client, strings.TrimRight(*reference, "/"), strings.TrimRight(*ours, "/"), queries, *parallel)
	for _, d := range diffs {
		fmt.Fprintln(env.Stdout, d)
	}
	differing := map[string]bool{}
	for _, d := range diffs {
		differing[d.Query] = true
	}
	fmt.Fprintf(env.Stdout, "compared %d queries: %d differ, %d failed\n", len(queries), len(differing), failed)
	if len(differing) > 0 || failed > 0 {
		return fmt.Errorf("the answers differ in %d of %d queries (%d failed)", len(differing), len(queries), failed)
	}
	return nil
}

// compareInputs works out the repo/arch pairs and the clients to ask for.
func compareInputs(ctx context.Context, env Env, choice *storeChoice, repos, countries, ips string) ([][2]string, []string, error) {
	var pairs [][2]string
	for _, r := range splitList(repos) {
		prefix, arch, ok := strings.Cut(r, "/")
		if !ok || prefix == "" || arch == "" {
			return nil, nil, usageError{fmt.Sprintf("--repo %q: want repo/arch", r)}
		}
		pairs = append(pairs, [2]string{prefix, arch})
	}
	clients := append(splitList(countries), splitList(ips)...)
	if len(pairs) > 0 && len(clients) > 0 {
		return pairs, clients, nil
	}
	st, err := choice.resolveAndOpen(ctx, env)
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	if len(pairs) == 0 {
		rs, err := st.Repositories(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range rs {
			if !r.Disabled {
				pairs = append(pairs, [2]string{r.Prefix, r.Arch})
			}
		}
	}
	if len(clients) == 0 {
		ms, err := st.Mirrors(ctx)
		if err != nil {
			return nil, nil, err
		}
		clients = busiestCountries(ms, 5)
	}
	if len(pairs) == 0 || len(clients) == 0 {
		return nil, nil, errors.New("nothing to compare: the store has no enabled repository or public mirror (pass --repo and --country)")
	}
	return pairs, clients, nil
}

// busiestCountries returns the n countries with the most enabled public
// mirrors.
func busiestCountries(ms []store.Mirror, n int) []string {
	count := map[string]int{}
	for _, m := range ms {
		if m.Enabled && !m.Private && !m.Regional() {
			count[m.Country]++
		}
	}
	cs := slices.SortedFunc(maps.Keys(count), func(a, b string) int {
		return cmp.Or(count[b]-count[a], strings.Compare(a, b))
	})
	return cs[:min(n, len(cs))]
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// compareAll sends every query to both servers, parallel at a time, and
// returns the differences in the order of the queries.
func compareAll(ctx context.Context, client *http.Client, ref, ours string, qs []comparison, parallel int) ([]mm2.Difference, int) {
	results := make([][]mm2.Difference, len(qs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range parallel {
		wg.Go(func() {
			for i := range next {
				results[i] = compareOne(ctx, client, ref, ours, qs[i])
			}
		})
	}
	for i := range qs {
		next <- i
	}
	close(next)
	wg.Wait()
	var out []mm2.Difference
	failed := 0
	for _, r := range results {
		for _, d := range r {
			if strings.HasPrefix(d.What, "failed: ") {
				failed++
			}
		}
		out = append(out, r...)
	}
	return out, failed
}

// compareOne asks both servers one query.
func compareOne(ctx context.Context, client *http.Client, ref, ours string, q comparison) []mm2.Difference {
	name := q.path + "?" + q.query
	a, err := fetchAnswer(ctx, client, ref+q.path+"?"+q.query, q.path == "/metalink")
	if err != nil {
		return []mm2.Difference{{Query: name, What: "failed: reference: " + err.Error()}}
	}
	b, err := fetchAnswer(ctx, client, ours+q.path+"?"+q.query, q.path == "/metalink")
	if err != nil {
		return []mm2.Difference{{Query: name, What: "failed: ours: " + err.Error()}}
	}
	return mm2.CompareAnswers(name, q.country, a, b)
}

// fetchAnswer gets and parses one answer. A 404 (an unknown repository) is
// an answer like another: its message is compared.
func fetchAnswer(ctx context.Context, client *http.Client, u string, metalink bool) (*mm2.Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "metalinkd-compare/"+version.Get().Version)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if metalink {
		return mm2.ParseMetalink(body)
	}
	return mm2.ParseMirrorlist(body)
}

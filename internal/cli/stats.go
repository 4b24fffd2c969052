package cli

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// statsRow is one line of `metalinkd stats`: the kept labels and a count.
type statsRow struct {
	labels []string
	count  int64
}

// runStats prints the request or countme statistics, as a table or CSV.
func runStats(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "stats", "[flags]",
		"Print the statistics the servers keep (serve --stats-flush): answered metalink, mirrorlist and\n"+
			"redirect requests per UTC day, or dnf's countme hits per countme week (weeks start on Monday\n"+
			"00:00 UTC, as in dnf and Fedora's countme reports), summed over every dimension not in --by.")
	choice := storeFlags(env, fs)
	kind := fs.String("kind", "requests", "`requests` (per day, repo, arch, country, location, step) or countme (per week, repo, arch, bucket)")
	by := fs.String("by", "", "comma-separated `dimensions` to keep, in order: day, week, repo, arch, country, location, step (requests) or\n"+
		"week, repo, arch, bucket (countme); requests by week sum the days of each countme week (default day for requests, week,bucket for countme)")
	since := fs.String("since", "", "first `date` (YYYY-MM-DD, UTC) included; for countme, weeks starting on or after it")
	until := fs.String("until", "", "last `date` (YYYY-MM-DD, UTC) included; for countme, weeks starting on or before it")
	repo := fs.String("repo", "", "only this repository (as clients name it; other collects the names no snapshot knew)")
	arch := fs.String("arch", "", "only this architecture")
	asCSV := fs.Bool("csv", false, "write CSV (a header line, then one line per row) instead of a table")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	q := store.StatsQuery{Repo: *repo, Arch: *arch}
	var err error
	if q.Since, err = parseStatsDate("--since", *since); err != nil {
		return err
	}
	if q.Until, err = parseStatsDate("--until", *until); err != nil {
		return err
	}
	countme := false
	switch *kind {
	case "requests":
	case "countme":
		countme = true
	default:
		return usageError{fmt.Sprintf("--kind %q: want requests or countme", *kind)}
	}
	dims := statsDims(*by, countme)
	q.By = slices.Clone(dims)
	weekOfDays := !countme && slices.Contains(dims, store.ByWeek)
	if weekOfDays {
		q.By[slices.Index(q.By, store.ByWeek)] = store.ByDay
		if slices.Contains(dims, store.ByDay) {
			return usageError{"--by: day and week together"}
		}
	}
	if err := q.Check(countme); err != nil {
		return usageError{fmt.Sprintf("--by %q: %v", *by, err)}
	}
	st, err := choice.resolveAndOpen(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := readStats(ctx, st, q, countme, weekOfDays)
	if err != nil {
		return err
	}
	total := "requests"
	if countme {
		total = "hits"
	}
	if *asCSV {
		return writeStatsCSV(env.Stdout, dims, total, rows)
	}
	return writeStatsTable(env.Stdout, dims, total, rows)
}

// statsDims returns the dimensions of --by, or the kind's default.
func statsDims(by string, countme bool) []string {
	if strings.TrimSpace(by) == "" {
		if countme {
			return []string{store.ByWeek, store.ByBucket}
		}
		return []string{store.ByDay}
	}
	var dims []string
	for _, d := range strings.Split(by, ",") {
		dims = append(dims, strings.ToLower(strings.TrimSpace(d)))
	}
	return dims
}

func parseStatsDate(flagName, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return t, usageError{fmt.Sprintf("%s %q: want a date, YYYY-MM-DD", flagName, v)}
	}
	return t, nil
}

// readStats reads the rows, as text labels in q.By's order; weekOfDays
// folds each day into its countme week.
func readStats(ctx context.Context, st store.Stats, q store.StatsQuery, countme, weekOfDays bool) ([]statsRow, error) {
	var rows []statsRow
	label := func(dim string, day time.Time, text map[string]string) string {
		switch dim {
		case store.ByDay, store.ByWeek:
			if weekOfDays {
				day = store.CountmeWeek(day)
			}
			return day.Format(time.DateOnly)
		}
		return text[dim]
	}
	if countme {
		cs, err := st.CountmeStats(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			text := map[string]string{store.ByRepo: c.Repo, store.ByArch: c.Arch, store.ByBucket: strconv.Itoa(c.Bucket)}
			r := statsRow{count: c.Count}
			for _, d := range q.By {
				r.labels = append(r.labels, label(d, c.Week, text))
			}
			rows = append(rows, r)
		}
		return rows, nil
	}
	rs, err := st.RequestStats(ctx, q)
	if err != nil {
		return nil, err
	}
	for _, c := range rs {
		text := map[string]string{store.ByRepo: c.Repo, store.ByArch: c.Arch, store.ByCountry: c.Country,
			store.ByLocation: c.Location, store.ByStep: c.Step}
		r := statsRow{count: c.Count}
		for _, d := range q.By {
			r.labels = append(r.labels, label(d, c.Day, text))
		}
		rows = append(rows, r)
	}
	if weekOfDays {
		rows = mergeStatsRows(rows)
	}
	return rows, nil
}

// mergeStatsRows sums rows with the same labels and sorts them.
func mergeStatsRows(rows []statsRow) []statsRow {
	slices.SortStableFunc(rows, func(a, b statsRow) int { return slices.Compare(a.labels, b.labels) })
	var out []statsRow
	for _, r := range rows {
		if n := len(out); n > 0 && slices.Equal(out[n-1].labels, r.labels) {
			out[n-1].count += r.count
			continue
		}
		out = append(out, r)
	}
	return out
}

func writeStatsCSV(w io.Writer, dims []string, total string, rows []statsRow) error {
	cw := csv.NewWriter(w)
	cw.Write(append(slices.Clone(dims), total))
	for _, r := range rows {
		cw.Write(append(slices.Clone(r.labels), strconv.FormatInt(r.count, 10)))
	}
	cw.Flush()
	return cw.Error()
}

func writeStatsTable(w io.Writer, dims []string, total string, rows []statsRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := make([]string, 0, len(dims)+1)
	for _, d := range dims {
		head = append(head, strings.ToUpper(d))
	}
	fmt.Fprintln(tw, strings.Join(append(head, strings.ToUpper(total)), "\t")+"\t")
	var sum int64
	for _, r := range rows {
		labels := make([]string, len(r.labels))
		for i, l := range r.labels {
			labels[i] = cmp.Or(l, "-")
		}
		fmt.Fprintln(tw, strings.Join(append(labels, strconv.FormatInt(r.count, 10)), "\t")+"\t")
		sum += r.count
	}
	if len(dims) > 0 {
		fmt.Fprintln(tw, "TOTAL"+strings.Repeat("\t", len(dims))+strconv.FormatInt(sum, 10)+"\t")
	}
	return tw.Flush()
}

package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Request statistics count answered /metalink, /mirrorlist and redirect
// requests per UTC day; countme statistics count dnf's countme=N hits per
// countme week. Several replicas add to the same rows: every write adds
// (count = count + n), so their flushes sum exactly.

// Countme weeks are libdnf's counting windows (COUNTME_OFFSET and
// COUNTME_WINDOW in libdnf/repo/Repo.cpp), which Fedora's countme reports
// number from the same epoch: they start on Mondays at 00:00 UTC.
const (
	CountmeEpoch  = 345600 // 1970-01-05 00:00:00 UTC, a Monday
	CountmeWindow = 7 * 24 * 60 * 60
)

// CountmeWeek returns the start of the countme week that holds t.
func CountmeWeek(t time.Time) time.Time {
	s := t.Unix() - CountmeEpoch
	s -= ((s % CountmeWindow) + CountmeWindow) % CountmeWindow
	return time.Unix(s+CountmeEpoch, 0).UTC()
}

// UTCDay returns the UTC midnight that starts t's day.
func UTCDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// RequestCount is how many requests of one day had one set of labels.
// Labels that a read summed away are empty.
type RequestCount struct {
	Day time.Time // UTC midnight; zero when summed away
	// Repo and Arch as requested, when the snapshot knew them; Country the
	// client's (GeoIP); Location the registered location the client sent;
	// Step the selection step that listed the first mirror.
	Repo, Arch, Country, Location, Step string
	Count                               int64
}

// CountmeCount is how many countme hits of one week had one repository,
// architecture and bucket.
type CountmeCount struct {
	Week       time.Time // the Monday starting the countme week; zero when summed away
	Repo, Arch string
	// Bucket is dnf's countme value: how long the system has existed
	// (1: under two weeks, 2: under five, 3: under 25, 4: longer); 0 when
	// summed away.
	Bucket int
	Count  int64
}

// StatsRetention bounds how long statistics are kept.
type StatsRetention struct {
	RequestDays  int // request rows whose day is older are dropped
	CountmeWeeks int // countme rows whose week is older are dropped
}

// DefaultStatsRetention keeps a year of daily requests, with a month to
// compare against the same month last year, and three years of countme
// weeks, as long as Fedora's own charts usually look back.
var DefaultStatsRetention = StatsRetention{RequestDays: 400, CountmeWeeks: 157}

// Cutoffs returns the oldest day and week kept as of now.
func (r StatsRetention) Cutoffs(now time.Time) (day, week time.Time) {
	day = UTCDay(now).AddDate(0, 0, -r.RequestDays)
	week = CountmeWeek(now).AddDate(0, 0, -7*r.CountmeWeeks)
	return day, week
}

// The dimensions a statistics read may keep; the others are summed away.
const (
	ByDay      = "day"
	ByWeek     = "week"
	ByRepo     = "repo"
	ByArch     = "arch"
	ByCountry  = "country"
	ByLocation = "location"
	ByStep     = "step"
	ByBucket   = "bucket"
)

// StatsQuery selects and groups statistics.
type StatsQuery struct {
	// Since and Until bound the day (or week start) inclusively; zero
	// leaves that side open.
	Since, Until time.Time
	// Repo and Arch keep only rows with exactly that value when set.
	Repo, Arch string
	// By lists the dimensions kept, in the By* names: day, repo, arch,
	// country, location and step for requests; week, repo, arch and bucket
	// for countme. Rows come sorted by them, in the order given.
	By []string
}

// Check returns an ErrInvalid error when q names a dimension that the
// statistics of that kind do not have.
func (q StatsQuery) Check(countme bool) error {
	allowed := []string{ByDay, ByRepo, ByArch, ByCountry, ByLocation, ByStep}
	if countme {
		allowed = []string{ByWeek, ByRepo, ByArch, ByBucket}
	}
	seen := map[string]bool{}
	for _, b := range q.By {
		ok := false
		for _, a := range allowed {
			ok = ok || a == b
		}
		if !ok || seen[b] {
			return fmt.Errorf("%w: statistics cannot be grouped by %q here", ErrInvalid, b)
		}
		seen[b] = true
	}
	return nil
}

// maxStatsLabel bounds a label's length; the server collapses unknown
// values to one label long before that.
const maxStatsLabel = 128

// CheckStats returns an ErrInvalid error unless every count can be stored:
// positive, with bounded labels, a countme bucket of 1 to 4, and days and
// weeks on their boundaries.
func CheckStats(reqs []RequestCount, countme []CountmeCount) error {
	for _, r := range reqs {
		if r.Count <= 0 || !r.Day.Equal(UTCDay(r.Day)) {
			return fmt.Errorf("%w: request count %d of %v", ErrInvalid, r.Count, r.Day)
		}
		for _, l := range []string{r.Repo, r.Arch, r.Country, r.Location, r.Step} {
			if len(l) > maxStatsLabel {
				return fmt.Errorf("%w: statistics label of %d bytes", ErrInvalid, len(l))
			}
		}
	}
	for _, c := range countme {
		if c.Count <= 0 || c.Bucket < 1 || c.Bucket > 4 || !c.Week.Equal(CountmeWeek(c.Week)) {
			return fmt.Errorf("%w: countme count %d of bucket %d, week %v", ErrInvalid, c.Count, c.Bucket, c.Week)
		}
		if len(c.Repo) > maxStatsLabel || len(c.Arch) > maxStatsLabel {
			return fmt.Errorf("%w: statistics label too long", ErrInvalid)
		}
	}
	return nil
}

// Stats keeps the request and countme statistics.
type Stats interface {
	// AddStats adds the counts to the stored ones in one transaction, so
	// that replicas writing at once sum exactly, and drops the rows older
	// than keep as of now. Rows with the same labels may repeat; they add
	// up. ErrInvalid (CheckStats) writes nothing. It is not a change of
	// the dataset: no audit entry, no change signal to other replicas.
	AddStats(ctx context.Context, reqs []RequestCount, countme []CountmeCount, now time.Time, keep StatsRetention) error
	// RequestStats returns the request counts q selects, summed over the
	// dimensions it does not keep.
	RequestStats(ctx context.Context, q StatsQuery) ([]RequestCount, error)
	// CountmeStats returns the countme counts q selects, likewise.
	CountmeStats(ctx context.Context, q StatsQuery) ([]CountmeCount, error)
}

// SumStats returns the counts with rows of the same labels added up,
// sorted by their labels, so that a store writes each row once and
// writers lock rows in one order.
func SumStats(reqs []RequestCount, countme []CountmeCount) ([]RequestCount, []CountmeCount) {
	type rkey struct {
		day                                 int64
		repo, arch, country, location, step string
	}
	ri := map[rkey]int{}
	var rs []RequestCount
	for _, r := range reqs {
		k := rkey{r.Day.Unix(), r.Repo, r.Arch, r.Country, r.Location, r.Step}
		if i, ok := ri[k]; ok {
			rs[i].Count += r.Count
			continue
		}
		ri[k] = len(rs)
		rs = append(rs, r)
	}
	type ckey struct {
		week       int64
		repo, arch string
		bucket     int
	}
	ci := map[ckey]int{}
	var cs []CountmeCount
	for _, c := range countme {
		k := ckey{c.Week.Unix(), c.Repo, c.Arch, c.Bucket}
		if i, ok := ci[k]; ok {
			cs[i].Count += c.Count
			continue
		}
		ci[k] = len(cs)
		cs = append(cs, c)
	}
	slices.SortFunc(rs, func(a, b RequestCount) int {
		return cmp.Or(a.Day.Compare(b.Day), cmp.Compare(a.Repo, b.Repo), cmp.Compare(a.Arch, b.Arch),
			cmp.Compare(a.Country, b.Country), cmp.Compare(a.Location, b.Location), cmp.Compare(a.Step, b.Step))
	})
	slices.SortFunc(cs, func(a, b CountmeCount) int {
		return cmp.Or(a.Week.Compare(b.Week), cmp.Compare(a.Repo, b.Repo), cmp.Compare(a.Arch, b.Arch), cmp.Compare(a.Bucket, b.Bucket))
	})
	return rs, cs
}

// StatsSelect returns the SQL of a statistics read for both stores: the
// columns kept (dimension names, then the sum), and the arguments, each
// written by placeholder(i) for the i-th (1-based) and dates converted by
// date. The table and column names are the migrations'.
func StatsSelect(countme bool, q StatsQuery, placeholder func(int) string, date func(time.Time) any) (string, []any) {
	table, timeCol, sum := "request_stats", ByDay, "requests"
	if countme {
		table, timeCol, sum = "countme_stats", ByWeek, "hits"
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, cond+placeholder(len(args)))
	}
	if !q.Since.IsZero() {
		add(timeCol+" >= ", date(q.Since))
	}
	if !q.Until.IsZero() {
		add(timeCol+" <= ", date(q.Until))
	}
	if q.Repo != "" {
		add("repo = ", q.Repo)
	}
	if q.Arch != "" {
		add("arch = ", q.Arch)
	}
	cols := strings.Join(append(slices.Clone(q.By), "CAST(SUM("+sum+") AS BIGINT)"), ", ")
	sql := "SELECT " + cols + " FROM " + table
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	if len(q.By) > 0 {
		sql += " GROUP BY " + strings.Join(q.By, ", ") + " ORDER BY " + strings.Join(q.By, ", ")
	}
	return sql, args
}

package admin

import (
	"net/http"
	"strings"
	"time"

	"github.com/metalinkd/metalinkd/internal/adminapi"
	"github.com/metalinkd/metalinkd/store"
)

// statsView answers GET /stats?kind=requests|countme&by=…&since=…&until=…&repo=…&arch=…:
// the statistics metalinkd stats prints, as JSON.
func (a *API) statsView(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	q := store.StatsQuery{Repo: v.Get("repo"), Arch: v.Get("arch")}
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		if s := v.Get(p.name); s != "" {
			t, err := time.Parse(time.DateOnly, s)
			if err != nil {
				return invalid(p.name, "must be a date, YYYY-MM-DD")
			}
			*p.to = t
		}
	}
	kind := v.Get("kind")
	countme := false
	switch kind {
	case "", "requests":
		kind = "requests"
		q.By = []string{store.ByDay}
	case "countme":
		countme = true
		q.By = []string{store.ByWeek, store.ByBucket}
	default:
		return invalid("kind", "must be requests or countme")
	}
	if by := v.Get("by"); by != "" {
		q.By = strings.Split(by, ",")
	}
	if err := q.Check(countme); err != nil {
		return invalid("by", "%s: must be a comma list of day, repo, arch, country, location, step (requests) or week, repo, arch, bucket (countme)", by(q))
	}
	out := adminapi.StatsView{Kind: kind, By: q.By, Rows: []adminapi.StatsRow{}}
	ctx := r.Context()
	if countme {
		rows, err := a.st.CountmeStats(ctx, q)
		if err != nil {
			return err
		}
		for _, c := range rows {
			out.Rows = append(out.Rows, adminapi.StatsRow{Week: date(c.Week), Repo: c.Repo, Arch: c.Arch, Bucket: c.Bucket, Count: c.Count})
		}
		return writeJSON(w, http.StatusOK, out)
	}
	rows, err := a.st.RequestStats(ctx, q)
	if err != nil {
		return err
	}
	for _, c := range rows {
		out.Rows = append(out.Rows, adminapi.StatsRow{Day: date(c.Day), Repo: c.Repo, Arch: c.Arch, Country: c.Country,
			Location: c.Location, Step: c.Step, Count: c.Count})
	}
	return writeJSON(w, http.StatusOK, out)
}

func by(q store.StatsQuery) string { return strings.Join(q.By, ",") }

// date is a day or week as the API writes it; "" when summed away.
func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

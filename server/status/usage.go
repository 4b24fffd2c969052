package status

import (
	"fmt"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// Usage is what the page shows of the statistics, summed over every
// replica: answered requests per UTC day and dnf's countme hits per
// countme week by bucket. Totals only: no client, address or location.
type Usage struct {
	// Days are the last UsageDays days, oldest first; a day without
	// requests has a zero count.
	Days []DayCount
	// Weeks are the last UsageWeeks countme weeks, oldest first.
	Weeks []WeekCount
}

// DayCount is the requests of one UTC day.
type DayCount struct {
	Day      time.Time
	Requests int64
}

// WeekCount is the countme hits of one week by bucket (index 0: bucket 1).
type WeekCount struct {
	Week    time.Time
	Buckets [4]int64
}

// How far back the page's charts look.
const (
	UsageDays  = 30
	UsageWeeks = 12
)

// UsageFrom lays out request counts by day and countme counts by week and
// bucket (as store.Stats returns them grouped so) over the days and
// weeks that end with now's.
func UsageFrom(reqs []store.RequestCount, countme []store.CountmeCount, now time.Time) *Usage {
	u := &Usage{}
	first := store.UTCDay(now).AddDate(0, 0, -(UsageDays - 1))
	byDay := map[time.Time]int64{}
	for _, r := range reqs {
		byDay[r.Day.UTC()] += r.Count
	}
	for i := range UsageDays {
		d := first.AddDate(0, 0, i)
		u.Days = append(u.Days, DayCount{Day: d, Requests: byDay[d]})
	}
	firstWeek := store.CountmeWeek(now).AddDate(0, 0, -7*(UsageWeeks-1))
	byWeek := map[time.Time]*[4]int64{}
	for _, c := range countme {
		if c.Bucket < 1 || c.Bucket > 4 {
			continue
		}
		w := c.Week.UTC()
		if byWeek[w] == nil {
			byWeek[w] = new([4]int64)
		}
		byWeek[w][c.Bucket-1] += c.Count
	}
	for i := range UsageWeeks {
		w := firstWeek.AddDate(0, 0, 7*i)
		wc := WeekCount{Week: w}
		if b := byWeek[w]; b != nil {
			wc.Buckets = *b
		}
		u.Weeks = append(u.Weeks, wc)
	}
	return u
}

// UsageSince returns the first day and week UsageFrom shows as of now, the
// bounds of the reads it needs.
func UsageSince(now time.Time) (day, week time.Time) {
	return store.UTCDay(now).AddDate(0, 0, -(UsageDays - 1)), store.CountmeWeek(now).AddDate(0, 0, -7*(UsageWeeks-1))
}

// Geometry of the column charts, in SVG user units.
const (
	colAxis   = 70 // room for the scale on the left
	colHeight = 140
	colBottom = 34 // room for the dates
	colLegend = 24
)

// columnChart is a series of (stacked) columns laid out for the template.
type columnChart struct {
	Title         string
	Width, Height int
	BaseY         int
	Max           string
	LegendY       int
	Columns       []columnView
	Legend        []legendItem
}

type columnView struct {
	X, Width int
	Rects    []columnRect
	Label    string // a date under every few columns
	LabelX   int
	LabelY   int
	Title    string
}

type columnRect struct {
	Y, Height int
	Class     string
}

// bucketNames are the countme buckets as libdnf defines them.
var bucketNames = [4]string{"1: first two weeks", "2: up to 5 weeks", "3: up to 25 weeks", "4: older"}

// columns lays out one column per value (values[i] stacked), labelling
// every labelEvery-th column with its date.
func columns(title string, dates []time.Time, values [][]int64, classes []string, colWidth, labelEvery int) columnChart {
	c := columnChart{Title: title, Width: colAxis + len(dates)*colWidth + 10, BaseY: colHeight + 6}
	c.Height = c.BaseY + colBottom
	var top int64 = 1
	for _, v := range values {
		var sum int64
		for _, n := range v {
			sum += n
		}
		top = max(top, sum)
	}
	c.Max = fmt.Sprint(top)
	for i, v := range values {
		col := columnView{X: colAxis + i*colWidth, Width: colWidth - 2}
		y := c.BaseY
		var sum int64
		for j, n := range v {
			sum += n
			if n == 0 {
				continue
			}
			h := max(int(n*colHeight/top), 1)
			y -= h
			col.Rects = append(col.Rects, columnRect{Y: y, Height: h, Class: classes[j]})
		}
		col.Title = fmt.Sprintf("%s: %d", dates[i].Format("2006-01-02"), sum)
		if i%labelEvery == 0 {
			col.Label, col.LabelX, col.LabelY = dates[i].Format("01-02"), col.X, c.BaseY+14
		}
		c.Columns = append(c.Columns, col)
	}
	if len(classes) > 1 {
		c.LegendY = c.Height
		c.Height += colLegend
		c.Width = max(c.Width, colAxis+len(classes)*140)
		for j, cl := range classes {
			c.Legend = append(c.Legend, legendItem{X: colAxis + j*140, Class: cl, Label: bucketNames[j]})
		}
	}
	return c
}

// charts returns the request and the countme chart of u.
func (u *Usage) charts() (requests, countme columnChart) {
	dates := make([]time.Time, len(u.Days))
	vals := make([][]int64, len(u.Days))
	for i, d := range u.Days {
		dates[i], vals[i] = d.Day, []int64{d.Requests}
	}
	requests = columns(fmt.Sprintf("Requests per UTC day, last %d days", len(u.Days)), dates, vals, []string{"requests"}, 14, 7)
	dates = make([]time.Time, len(u.Weeks))
	vals = make([][]int64, len(u.Weeks))
	for i, w := range u.Weeks {
		dates[i], vals[i] = w.Week, w.Buckets[:]
	}
	countme = columns(fmt.Sprintf("countme hits per week (starting Monday) by bucket, last %d weeks", len(u.Weeks)),
		dates, vals, []string{"bucket1", "bucket2", "bucket3", "bucket4"}, 36, 2)
	return requests, countme
}

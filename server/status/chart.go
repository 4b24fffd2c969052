package status

import (
	"fmt"
	"slices"

	"github.com/metalinkd/metalinkd/internal/freshness"
)

// Chart is a small horizontal stacked bar chart of mirror counts by
// state, one bar per point of a series: a point per category, or per
// crawl (see Compose).
type Chart struct {
	Title  string
	Series []Point
	// Labels, when set, name the four segments instead of the freshness
	// states; Unit names the first in each bar's total ("fresh" when
	// empty).
	Labels []string
	Unit   string
}

// Point is one bar: a label and the counts it stacks.
type Point struct {
	Label  string
	Counts freshness.Counts
}

// Geometry of the chart, in SVG user units.
const (
	chartLabelWidth = 170
	chartBarWidth   = 360
	chartBarHeight  = 18
	chartGap        = 8
	chartLegend     = 28
)

// chartView is a Chart laid out for the template.
type chartView struct {
	// ID tells the charts of a page apart (the SVG title's id).
	ID            string
	Title         string
	Width, Height int
	LegendY       int
	Bars          []barView
	Legend        []legendItem
}

type barView struct {
	Label      string
	Y, TextY   int
	Rects      []rectView
	Total      int
	TotalX     int
	TotalLabel string
}

type rectView struct {
	X, Width int
	Class    string
	Title    string
}

type legendItem struct {
	X     int
	Class string
	Label string
}

// segments are the states a bar stacks, left to right, with their labels.
var segments = []struct {
	class, label string
	count        func(freshness.Counts) int
}{
	{"fresh", "fresh", func(c freshness.Counts) int { return c.Fresh }},
	{"alternate", "stale (alternate)", func(c freshness.Counts) int { return c.Alternate }},
	{"outdated", "stale (not accepted)", func(c freshness.Counts) int { return c.Outdated }},
	{"unknown", "unknown", func(c freshness.Counts) int { return c.Unknown }},
}

// layout places the bars; every bar shares one scale, the largest total.
func (c Chart) layout(id string) chartView {
	v := chartView{ID: id, Title: c.Title, Width: chartLabelWidth + chartBarWidth + 100}
	unit := c.Unit
	if unit == "" {
		unit = "fresh"
	}
	scale := 1
	for _, p := range c.Series {
		scale = max(scale, p.Counts.Total())
	}
	for i, p := range c.Series {
		y := i * (chartBarHeight + chartGap)
		b := barView{Label: p.Label, Y: y, TextY: y + chartBarHeight - 5, Total: p.Counts.Total()}
		x := chartLabelWidth
		for j, s := range segments {
			n := s.count(p.Counts)
			if n == 0 {
				continue
			}
			w := max(n*chartBarWidth/scale, 1)
			b.Rects = append(b.Rects, rectView{X: x, Width: w, Class: s.class, Title: fmt.Sprintf("%s: %d %s", p.Label, n, c.label(j))})
			x += w
		}
		b.TotalX = x + 6
		b.TotalLabel = fmt.Sprintf("%d/%d %s", p.Counts.Fresh, b.Total, unit)
		v.Bars = append(v.Bars, b)
	}
	legendY := len(c.Series) * (chartBarHeight + chartGap)
	v.LegendY = legendY + 12
	v.Height = legendY + chartLegend
	for j, s := range segments {
		if !slices.ContainsFunc(c.Series, func(p Point) bool { return s.count(p.Counts) > 0 }) {
			continue
		}
		v.Legend = append(v.Legend, legendItem{X: len(v.Legend) * 135, Class: s.class, Label: c.label(j)})
	}
	return v
}

// label names segment j.
func (c Chart) label(j int) string {
	if j < len(c.Labels) {
		return c.Labels[j]
	}
	return segments[j].label
}

package status

import (
	"fmt"
	"slices"

	"github.com/metalinkd/metalinkd/internal/freshness"
)

// Chart is a small horizontal stacked bar chart of mirror counts by
// state, one bar per point of a series. Today the series has a point per
// category; a recorded history would give a category a point per time.
type Chart struct {
	Title  string
	Series []Point
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
func (c Chart) layout() chartView {
	v := chartView{Title: c.Title, Width: chartLabelWidth + chartBarWidth + 100}
	scale := 1
	for _, p := range c.Series {
		scale = max(scale, p.Counts.Total())
	}
	for i, p := range c.Series {
		y := i * (chartBarHeight + chartGap)
		b := barView{Label: p.Label, Y: y, TextY: y + chartBarHeight - 5, Total: p.Counts.Total()}
		x := chartLabelWidth
		for _, s := range segments {
			n := s.count(p.Counts)
			if n == 0 {
				continue
			}
			w := max(n*chartBarWidth/scale, 1)
			b.Rects = append(b.Rects, rectView{X: x, Width: w, Class: s.class, Title: fmt.Sprintf("%s: %d %s", p.Label, n, s.label)})
			x += w
		}
		b.TotalX = x + 6
		b.TotalLabel = fmt.Sprintf("%d/%d fresh", p.Counts.Fresh, b.Total)
		v.Bars = append(v.Bars, b)
	}
	legendY := len(c.Series) * (chartBarHeight + chartGap)
	v.LegendY = legendY + 12
	v.Height = legendY + chartLegend
	for _, s := range segments {
		if !slices.ContainsFunc(c.Series, func(p Point) bool { return s.count(p.Counts) > 0 }) {
			continue
		}
		v.Legend = append(v.Legend, legendItem{X: len(v.Legend) * 135, Class: s.class, Label: s.label})
	}
	return v
}

package status

import (
	"fmt"
	"time"

	"github.com/metalinkd/metalinkd/internal/freshness"
	"github.com/metalinkd/metalinkd/store"
)

// Compose is the propagation of the latest compose: the directory whose
// current repomd.xml was recorded last, and per crawl since then how many
// public mirrors served it.
type Compose struct {
	// Directory is the latest compose's directory, "" when no directory
	// was scanned; Recorded is when its current repomd.xml was.
	Directory string
	Recorded  time.Time
	// Crawls is the number of crawls since Recorded that checked the
	// mirrors; Timeline has a bar for each of the latest maxCrawlBars.
	Crawls   int
	Timeline Chart
}

// maxCrawlBars bounds the bars of the timeline: the latest crawls.
const maxCrawlBars = 12

// crawlLabels name the timeline's segments: mirrors serving the current
// repomd.xml, an older one still accepted, anything else, or not reached.
var crawlLabels = [...]string{"current", "older (accepted)", "other", "crawl failed"}

// LatestCompose returns the directory of d whose current repomd.xml was
// recorded last (the first by path among equals) and when, or "" when d
// has no scanned directory. The reloader reads its propagation points.
func LatestCompose(d *store.Dataset) (dir string, recorded time.Time) {
	for i := range d.Directories {
		x := &d.Directories[i]
		if r := x.Current.Recorded; dir == "" || r.After(recorded) || r.Equal(recorded) && x.Path < dir {
			dir, recorded = x.Path, r
		}
	}
	return dir, recorded
}

// composeOf is the latest compose of d with the points of its current
// repomd.xml, oldest first, among points (the crawls' propagation points).
func composeOf(d *store.Dataset, points []store.PropagationPoint) Compose {
	dir, recorded := LatestCompose(d)
	c := Compose{Directory: dir, Recorded: recorded.UTC()}
	if dir == "" {
		return c
	}
	var sha string
	for i := range d.Directories {
		if d.Directories[i].Path == dir {
			sha = d.Directories[i].Current.SHA256
		}
	}
	c.Timeline = Chart{Title: "Public mirrors serving the current repomd.xml of " + dir + ", per crawl since it was recorded",
		Labels: crawlLabels[:], Unit: "current"}
	for _, p := range points {
		if p.Directory != dir || p.SHA256 != sha || p.At.Before(recorded) {
			continue
		}
		c.Crawls++
		c.Timeline.Series = append(c.Timeline.Series, Point{Label: "+" + since(p.At.Sub(recorded)) + " (" + p.At.UTC().Format("15:04") + ")",
			Counts: freshness.Counts{Fresh: p.Current, Alternate: p.Older, Outdated: p.Other, Unknown: p.Failed}})
	}
	if n := len(c.Timeline.Series); n > maxCrawlBars {
		c.Timeline.Series = c.Timeline.Series[n-maxCrawlBars:]
	}
	return c
}

// since writes a duration as hours and minutes (days past 48 hours).
func since(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	switch {
	case m < 60:
		return fmt.Sprintf("%dm", m)
	case m < 48*60:
		return fmt.Sprintf("%dh%02dm", m/60, m%60)
	}
	return fmt.Sprintf("%dd%02dh", m/(24*60), m%(24*60)/60)
}

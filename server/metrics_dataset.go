package server

import (
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/metalinkd/metalinkd/internal/freshness"
	"github.com/metalinkd/metalinkd/server/status"
	"github.com/metalinkd/metalinkd/store"
)

// datasetStats is what the metrics say of a dataset, computed once per
// reload so that a scrape only copies numbers.
type datasetStats struct {
	mirrors, directories, netblocks, locations int
	perMirror                                  []mirrorStats
	// lastCrawl is the newest crawl of any mirror, zero when none was
	// crawled; crawlOK and crawlFailed count the crawled mirrors by the
	// result of their own latest crawl.
	lastCrawl            time.Time
	crawlOK, crawlFailed int
}

// mirrorStats is one mirror's state as of a reload.
type mirrorStats struct {
	name                  string
	enabled               bool
	state                 string // store.HealthState
	fresh, stale, unknown int
	// lastReport is the newest of the mirror's freshness reports; zero
	// when it never reported. lastCrawl is its latest crawl, zero when
	// never crawled.
	lastReport, lastCrawl time.Time
}

// newDatasetStats tallies d, whose freshness counter counted, with the freshness
// rules the status page and the admin API's freshness view use.
func newDatasetStats(d *store.Dataset, counter *freshness.Counter) *datasetStats {
	s := &datasetStats{mirrors: len(d.Mirrors), directories: len(d.Directories), locations: len(d.Locations)}
	t := counter.Tally(nil)
	health := make(map[string]*store.MirrorHealth, len(d.Health))
	for i := range d.Health {
		health[d.Health[i].Mirror] = &d.Health[i]
	}
	s.perMirror = make([]mirrorStats, len(d.Mirrors))
	for i := range d.Mirrors {
		m := &d.Mirrors[i]
		s.netblocks += len(m.Netblocks)
		c := t.Mirrors[i].Directories
		s.perMirror[i] = mirrorStats{name: m.Name, enabled: m.Enabled, state: store.HealthState(m, health[m.Name]),
			fresh: c.Fresh, stale: c.Stale(), unknown: c.Unknown, lastReport: t.Mirrors[i].LastReport}
		if h := health[m.Name]; h != nil && !h.LastCrawl.IsZero() {
			s.perMirror[i].lastCrawl = h.LastCrawl
			s.tallyCrawl(h)
		}
	}
	return s
}

// tallyCrawl counts a crawled mirror by its latest crawl's result.
func (s *datasetStats) tallyCrawl(h *store.MirrorHealth) {
	if h.LastCrawl.After(s.lastCrawl) {
		s.lastCrawl = h.LastCrawl
	}
	if h.ConsecutiveFailures > 0 {
		s.crawlFailed++
	} else {
		s.crawlOK++
	}
}

// mirrorStates are the values of metalinkd_mirror_state's state label: one
// series per mirror and state, 1 for the mirror's state.
var mirrorStates = []string{store.StateOK, store.StateCrawlerDisabled, store.StateAdminDisabled, store.StateUnknown}

// locationNames returns d's location names, sorted.
func locationNames(d *store.Dataset) []string {
	names := make([]string, len(d.Locations))
	for i, l := range d.Locations {
		names[i] = l.Name
	}
	slices.SortFunc(names, strings.Compare)
	return names
}

// collect sends the dataset's sizes and the per-mirror metrics.
func (s *datasetStats) collect(ch chan<- prometheus.Metric, now time.Time) {
	if s == nil {
		return
	}
	for _, kv := range []struct {
		kind string
		n    int
	}{{"mirrors", s.mirrors}, {"directories", s.directories}, {"netblocks", s.netblocks}, {"locations", s.locations}} {
		ch <- prometheus.MustNewConstMetric(snapshotSizeDesc, prometheus.GaugeValue, float64(kv.n), kv.kind)
	}
	for i := range s.perMirror {
		m := &s.perMirror[i]
		ch <- prometheus.MustNewConstMetric(mirrorEnabledDesc, prometheus.GaugeValue, b2f(m.enabled), m.name)
		ch <- prometheus.MustNewConstMetric(mirrorDirsDesc, prometheus.GaugeValue, float64(m.fresh), m.name, "fresh")
		ch <- prometheus.MustNewConstMetric(mirrorDirsDesc, prometheus.GaugeValue, float64(m.stale), m.name, "stale")
		ch <- prometheus.MustNewConstMetric(mirrorDirsDesc, prometheus.GaugeValue, float64(m.unknown), m.name, "unknown")
		for _, st := range mirrorStates {
			ch <- prometheus.MustNewConstMetric(mirrorStateDesc, prometheus.GaugeValue, b2f(m.state == st), m.name, st)
		}
		if !m.lastReport.IsZero() {
			ch <- prometheus.MustNewConstMetric(mirrorReportAgeDesc, prometheus.GaugeValue, now.Sub(m.lastReport).Seconds(), m.name)
		}
		if !m.lastCrawl.IsZero() {
			ch <- prometheus.MustNewConstMetric(mirrorCrawlAgeDesc, prometheus.GaugeValue, now.Sub(m.lastCrawl).Seconds(), m.name)
		}
	}
	ch <- prometheus.MustNewConstMetric(crawlMirrorsDesc, prometheus.GaugeValue, float64(s.crawlOK), "ok")
	ch <- prometheus.MustNewConstMetric(crawlMirrorsDesc, prometheus.GaugeValue, float64(s.crawlFailed), "failed")
	if !s.lastCrawl.IsZero() {
		ch <- prometheus.MustNewConstMetric(crawlAgeDesc, prometheus.GaugeValue, now.Sub(s.lastCrawl).Seconds())
	}
}

// watchReloader reports r's snapshot age and store state.
func (m *Metrics) watchReloader(r *Reloader) {
	if m != nil {
		m.reloader.Store(r)
	}
}

// loaded records a dataset now being served; took is the reload's
// duration, 0 for the snapshot cache.
func (m *Metrics) loaded(d *store.Dataset, took time.Duration) {
	m.loadedCounted(d, status.Count(d), took)
}

// loadedCounted is loaded of a dataset whose freshness c tallied as it
// streamed.
func (m *Metrics) loadedCounted(d *store.Dataset, c *freshness.Counter, took time.Duration) {
	if m == nil {
		return
	}
	m.setLocations(locationNames(d))
	m.dataset.Store(newDatasetStats(d, c))
	if took > 0 {
		m.reloads.Inc()
		m.buildSeconds.Set(took.Seconds())
	}
}

// reloadFailed counts a reload that failed.
func (m *Metrics) reloadFailed() {
	if m != nil {
		m.reloadFailures.Inc()
	}
}

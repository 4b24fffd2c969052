package server

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// metricsCollector exports, at scrape time, the counters the request path
// keeps itself and what reloads computed: nothing here runs per request.
type metricsCollector Metrics

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	requestsDesc = desc("metalinkd_http_requests_total",
		"Requests answered, by endpoint and status code (a code not listed counts in its class).", "endpoint", "code")
	stepsDesc = desc("metalinkd_answer_first_step_total",
		"Metalink, mirrorlist and redirect answers by the selection step that listed the first mirror; none when no mirror was listed (failures included).", "step")
	locationDesc = desc("metalinkd_location_requests_total",
		"Answers to requests naming location=, by location: a location of the current snapshot, else other.", "location")
	snapshotAgeDesc  = desc("metalinkd_snapshot_age_seconds", "Time since the snapshot being served was built (or, from the snapshot cache, saved).")
	snapshotSizeDesc = desc("metalinkd_snapshot_objects",
		"Size of the dataset of the snapshot being served: mirrors, directories, netblocks, locations.", "kind")
	storeStateDesc = desc("metalinkd_store_state",
		"1 for the store's current state from its health check (ok or degraded), 0 for the other; ok without a health check.", "state")
	servingCacheDesc  = desc("metalinkd_serving_snapshot_cache", "1 while answering from the snapshot cache because the store could not be read since start.")
	mirrorEnabledDesc = desc("metalinkd_mirror_enabled", "1 when the mirror is enabled, as of the last reload.", "mirror")
	mirrorDirsDesc    = desc("metalinkd_mirror_directories",
		"Scanned directories by the mirror's state as of the last reload: fresh, stale (an older repomd.xml, still accepted or not), unknown (not reported).", "mirror", "state")
	mirrorReportAgeDesc = desc("metalinkd_mirror_last_report_age_seconds",
		"Time since the mirror's newest freshness report (not counting what the crawler saw), as of the last reload; absent for a mirror that never reported.", "mirror")
	mirrorCrawlAgeDesc = desc("metalinkd_mirror_last_crawl_age_seconds",
		"Time since the crawler last checked the mirror, as of the last reload; absent for a mirror never crawled.", "mirror")
	crawlAgeDesc = desc("metalinkd_crawl_last_age_seconds",
		"Time since the newest crawl of any mirror, as of the last reload; absent before the first crawl.")
	crawlMirrorsDesc = desc("metalinkd_crawl_mirrors",
		"Mirrors the crawler has checked, by the result of each one's latest crawl (ok or failed), as of the last reload.", "result")
	mirrorStateDesc = desc("metalinkd_mirror_state",
		"1 for the mirror's state as of the last reload, 0 for the others: ok, disabled-by-crawler (failed crawls took it out of answers), admin-disabled, unknown (never crawled).", "mirror", "state")
	connsOpenDesc    = desc("metalinkd_connections_open", "Client connections open on the public listener.")
	connsIdleDesc    = desc("metalinkd_connections_idle", "Open client connections waiting for a request.")
	connsShedDesc    = desc("metalinkd_connections_shed_total", "Idle connections closed to make room for new ones at the connection limit.")
	connsRefusedDesc = desc("metalinkd_connections_refused_total",
		"Connections refused: limit (503, every connection busy) or per_client (429).", "reason")
	connsTimedOutDesc = desc("metalinkd_connections_timed_out_total",
		"Connections closed at a timeout: idle (no request for --idle-timeout) or write (a request in progress for --write-timeout).", "timeout")
)

// Describe sends every metric's descriptor.
func (c *metricsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{requestsDesc, stepsDesc, locationDesc, snapshotAgeDesc, snapshotSizeDesc,
		storeStateDesc, servingCacheDesc, mirrorEnabledDesc, mirrorDirsDesc, mirrorReportAgeDesc, mirrorStateDesc,
		mirrorCrawlAgeDesc, crawlAgeDesc, crawlMirrorsDesc,
		connsOpenDesc, connsIdleDesc, connsShedDesc, connsRefusedDesc, connsTimedOutDesc} {
		ch <- d
	}
	describeStats(ch)
}

// Collect sends the current values. Counters never touched are left out so
// that a scrape lists what happened, not every combination of labels.
func (c *metricsCollector) Collect(ch chan<- prometheus.Metric) {
	m := (*Metrics)(c)
	for e := range numEndpoints {
		for code := range numCodes {
			if v := m.requests[e][code].Load(); v > 0 {
				ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, float64(v), endpointNames[e], codeNames[code])
			}
		}
	}
	for s := range numSteps {
		ch <- prometheus.MustNewConstMetric(stepsDesc, prometheus.CounterValue, float64(m.steps[s].Load()), stepName(s))
	}
	if t := m.locations.Load(); t != nil {
		for _, name := range t.names {
			ch <- prometheus.MustNewConstMetric(locationDesc, prometheus.CounterValue, float64(t.byName[name].Load()), name)
		}
	}
	ch <- prometheus.MustNewConstMetric(locationDesc, prometheus.CounterValue, float64(m.otherLocation.Load()), "other")
	c.collectReloader(ch)
	c.collectStats(ch)
	m.dataset.Load().collect(ch, m.now())
	if l := m.conns.Load(); l != nil {
		st := l.Stats()
		ch <- prometheus.MustNewConstMetric(connsOpenDesc, prometheus.GaugeValue, float64(st.Open))
		ch <- prometheus.MustNewConstMetric(connsIdleDesc, prometheus.GaugeValue, float64(st.Idle))
		ch <- prometheus.MustNewConstMetric(connsShedDesc, prometheus.CounterValue, float64(st.Shed))
		ch <- prometheus.MustNewConstMetric(connsRefusedDesc, prometheus.CounterValue, float64(st.Refused-st.RefusedPerClient), "limit")
		ch <- prometheus.MustNewConstMetric(connsRefusedDesc, prometheus.CounterValue, float64(st.RefusedPerClient), "per_client")
		ch <- prometheus.MustNewConstMetric(connsTimedOutDesc, prometheus.CounterValue, float64(st.IdleClosed), "idle")
		ch <- prometheus.MustNewConstMetric(connsTimedOutDesc, prometheus.CounterValue, float64(st.WriteTimedOut), "write")
	}
}

// collectReloader sends the snapshot's age and the store's state.
func (c *metricsCollector) collectReloader(ch chan<- prometheus.Metric) {
	r := c.reloader.Load()
	if r == nil {
		return
	}
	if snap := r.Snapshot(); snap != nil {
		ch <- prometheus.MustNewConstMetric(snapshotAgeDesc, prometheus.GaugeValue, c.now().Sub(snap.Built).Seconds())
	}
	ok := r.health.err() == nil
	ch <- prometheus.MustNewConstMetric(storeStateDesc, prometheus.GaugeValue, b2f(ok), "ok")
	ch <- prometheus.MustNewConstMetric(storeStateDesc, prometheus.GaugeValue, b2f(!ok), "degraded")
	ch <- prometheus.MustNewConstMetric(servingCacheDesc, prometheus.GaugeValue, b2f(r.cachedAt.Load() != nil))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// locationTable holds a counter per location of the current snapshot.
type locationTable struct {
	names  []string
	byName map[string]*atomic.Uint64
}

// counter returns the counter of a registered location, or nil.
func (t *locationTable) counter(name string) *atomic.Uint64 {
	if t == nil {
		return nil
	}
	return t.byName[name]
}

// setLocations makes names the locations counted on their own, keeping
// the counts of those that were already; the counts of locations removed
// are dropped with their series.
func (m *Metrics) setLocations(names []string) {
	old := m.locations.Load()
	t := &locationTable{names: names, byName: make(map[string]*atomic.Uint64, len(names))}
	for _, n := range names {
		if c := old.counter(n); c != nil {
			t.byName[n] = c
		} else {
			t.byName[n] = new(atomic.Uint64)
		}
	}
	m.locations.Store(t)
}

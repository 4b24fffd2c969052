package server

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	statsFlushesDesc  = desc("metalinkd_stats_flushes_total", "Statistics flushes that added the counts to the store.")
	statsFailuresDesc = desc("metalinkd_stats_flush_failures_total",
		"Statistics flushes that failed; their counts are kept for the next one.")
	statsRowsDesc   = desc("metalinkd_stats_rows_written_total", "Statistics rows (request and countme) added to the store by flushes.")
	countmeHitsDesc = desc("metalinkd_countme_hits_total",
		"dnf countme hits counted (GET answered 200 or 302 with countme=1..4), by bucket.", "bucket")
)

// WatchStats reports s's flushes and countme hits.
func (m *Metrics) WatchStats(s *Stats) {
	if m != nil {
		m.stats.Store(s)
	}
}

// describeStats sends the statistics' descriptors.
func describeStats(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{statsFlushesDesc, statsFailuresDesc, statsRowsDesc, countmeHitsDesc} {
		ch <- d
	}
}

// collectStats sends the statistics' counters, when statistics are on.
func (c *metricsCollector) collectStats(ch chan<- prometheus.Metric) {
	s := c.stats.Load()
	if s == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(statsFlushesDesc, prometheus.CounterValue, float64(s.flushes.Load()))
	ch <- prometheus.MustNewConstMetric(statsFailuresDesc, prometheus.CounterValue, float64(s.flushFailures.Load()))
	ch <- prometheus.MustNewConstMetric(statsRowsDesc, prometheus.CounterValue, float64(s.rowsWritten.Load()))
	for b := 1; b < len(s.countmeHits); b++ {
		ch <- prometheus.MustNewConstMetric(countmeHitsDesc, prometheus.CounterValue, float64(s.countmeHits[b].Load()), strconv.Itoa(b))
	}
}

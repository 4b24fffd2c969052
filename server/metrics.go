package server

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/metalinkd/metalinkd/metalink"
)

// Metrics are the Prometheus metrics of one server, served by Handler on a
// listener of their own. The request path only adds to atomic counters it
// indexes by small enums and observes a histogram resolved in advance;
// everything else is computed when a snapshot is built or when scraped.
// A nil *Metrics records nothing.
type Metrics struct {
	reg *prometheus.Registry
	now func() time.Time

	requests [numEndpoints][numCodes]atomic.Uint64
	latency  [numEndpoints]prometheus.Observer
	steps    [numSteps]atomic.Uint64
	// locations counts location= by registered location; otherLocation
	// counts every other value.
	locations     atomic.Pointer[locationTable]
	otherLocation atomic.Uint64
	admin         *prometheus.CounterVec

	reloads, reloadFailures prometheus.Counter
	buildSeconds            prometheus.Gauge
	dataset                 atomic.Pointer[datasetStats]
	reloader                atomic.Pointer[Reloader]
	conns                   atomic.Pointer[ConnLimiter]
	stats                   atomic.Pointer[Stats]
}

// endpoint is what a request asked for, as the metrics tell them apart.
type endpoint uint8

const (
	epOther endpoint = iota
	epMetalink
	epMirrorlist
	epRedirect
	epStatusPage
	epHealth
	epAdmin
	numEndpoints
)

var endpointNames = [numEndpoints]string{"other", "metalink", "mirrorlist", "redirect", "status_page", "health", "admin"}

// endpointOf classifies a request path; the answer handler tells redirects
// from mirrorlists.
func endpointOf(path string) endpoint {
	switch {
	case strings.HasSuffix(path, "/metalink"):
		return epMetalink
	case strings.HasSuffix(path, "/mirrorlist"):
		return epMirrorlist
	case path == "/healthz" || path == "/readyz":
		return epHealth
	case path == "/mirrors" || strings.HasPrefix(path, "/mirrors/"):
		return epStatusPage
	case path == "/api/v1" || strings.HasPrefix(path, "/api/v1/"):
		return epAdmin
	}
	return epOther
}

// The status codes the server and the admin API answer are counted one by
// one; any other is counted in its class, so the label set stays bounded.
var codeNames = [...]string{"200", "201", "204", "302", "304", "400", "401", "403", "404", "405", "409",
	"413", "414", "415", "422", "429", "431", "499", "500", "503", "1xx", "2xx", "3xx", "4xx", "5xx", "other"}

const numCodes = len(codeNames)

// codeSlot maps a status code to its index in codeNames.
var codeSlot = func() (t [600]uint8) {
	byName := map[string]uint8{}
	for i, n := range codeNames {
		byName[n] = uint8(i)
	}
	for c := range t {
		if i, ok := byName[strconv.Itoa(c)]; ok {
			t[c] = i
		} else if i, ok := byName[strconv.Itoa(c/100)+"xx"]; ok {
			t[c] = i
		} else {
			t[c] = byName["other"]
		}
	}
	return t
}()

func slotOf(code int) int {
	if code <= 0 {
		code = http.StatusOK // nothing written: net/http sends 200
	}
	if code >= len(codeSlot) {
		return numCodes - 1
	}
	return int(codeSlot[code])
}

// latencyBuckets span an answer from memory (tens of microseconds) to an
// admin call that waits on the store (seconds).
var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}

// NewMetrics returns the server's metrics, with the Go runtime's and the
// process's, in a registry of their own.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), now: time.Now}
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "metalinkd_http_request_duration_seconds", Help: "Time to answer a request, by endpoint.",
		Buckets: latencyBuckets}, []string{"endpoint"})
	for e := range numEndpoints {
		m.latency[e] = latency.WithLabelValues(endpointNames[e])
	}
	m.admin = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "metalinkd_admin_requests_total", Help: "Admin API requests by route pattern and status code."},
		[]string{"route", "code"})
	m.reloads = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "metalinkd_snapshot_reloads_total", Help: "Snapshots built from the store."})
	m.reloadFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "metalinkd_snapshot_reload_failures_total", Help: "Reloads that failed, leaving the previous snapshot serving."})
	m.buildSeconds = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "metalinkd_snapshot_build_seconds", Help: "Time the last successful reload took to load the dataset and build the snapshot."})
	m.reg.MustRegister(latency, m.admin, m.reloads, m.reloadFailures, m.buildSeconds, (*metricsCollector)(m),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus's exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// WatchConns reports l's connection counters.
func (m *Metrics) WatchConns(l *ConnLimiter) {
	if m != nil {
		m.conns.Store(l)
	}
}

// observe counts a request answered through sw, with the status the
// access log gives it (499 for a client that went away).
func (m *Metrics) observe(sw *statusWriter, r *http.Request, start time.Time) {
	code := sw.status
	if sw.gone || r.Context().Err() != nil {
		code = StatusClientClosedRequest
	}
	m.request(r.URL.Path, sw.redirect, sw.route, code, time.Since(start))
	if sw.hasClient {
		m.answered(sw.firstStep, sw.location)
	}
}

// request counts one answered request; route is the admin API's route
// pattern, for admin requests.
func (m *Metrics) request(path string, redirect bool, route string, code int, d time.Duration) {
	e := endpointOf(path)
	if redirect {
		e = epRedirect
	}
	slot := slotOf(code)
	m.requests[e][slot].Add(1)
	m.latency[e].Observe(d.Seconds())
	if e == epAdmin {
		if route == "" {
			route = "unrouted"
		}
		m.admin.WithLabelValues(route, codeNames[slot]).Inc()
	}
}

// numSteps bounds metalink.Step; a step beyond it counts as none.
const numSteps = metalink.StepGlobal + 1

// stepName is a step's label: metalink's name, "none" for StepNone.
func stepName(s metalink.Step) string {
	if s == metalink.StepNone {
		return "none"
	}
	return s.String()
}

// answered counts an answer's first step and the location it named.
func (m *Metrics) answered(step metalink.Step, location string) {
	if step >= numSteps {
		step = metalink.StepNone
	}
	m.steps[step].Add(1)
	if location == "" {
		return
	}
	if c := m.locations.Load().counter(location); c != nil {
		c.Add(1)
		return
	}
	m.otherLocation.Add(1)
}

// noteRedirect marks the answer written through w as a redirect.
func noteRedirect(w http.ResponseWriter) {
	if sw, ok := w.(*statusWriter); ok {
		sw.redirect = true
	}
}

// AdminRoute is the admin API's route hook (admin.Options.Route): it
// records the route pattern of the request answered through w, when w is
// the server's, with the API's mount point.
func AdminRoute(w http.ResponseWriter, pattern string) {
	if sw, ok := w.(*statusWriter); ok {
		if strings.HasPrefix(pattern, "/") {
			pattern = adminPrefix + pattern
		}
		sw.route = pattern
	}
}

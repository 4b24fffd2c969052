package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/metalinkd/metalinkd/metalink"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// gathered returns the value of every counter and gauge sample as
// "name{label=value,...}" in the order Prometheus sorts labels.
func gathered(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		for _, s := range f.GetMetric() {
			var labels []string
			for _, l := range s.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			key := f.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[key] = s.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key] = s.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[key] = float64(s.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// metricsServer is BenchHandler's server over n mirrors with m on.
func metricsServer(m *Metrics, n int, admin http.Handler) http.Handler {
	d := benchDataset(n)
	geo := fakeGeo{netip.MustParseAddr("192.0.2.1"): {Country: "DE"}}
	r := NewStaticReloader(metalink.NewSnapshot(d, time.Now()))
	m.watchReloader(r)
	m.loaded(d, 0)
	return New(r, geo, slog.New(slog.DiscardHandler), Options{Metrics: m, Admin: admin}).Handler()
}

func TestMetricsCountRequests(t *testing.T) {
	m := NewMetrics()
	admin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		AdminRoute(w, "/mirrors/{name}")
		w.WriteHeader(http.StatusUnauthorized)
	})
	h := metricsServer(m, 5, admin)
	for _, target := range []string{
		"/metalink?repo=fedora-41&arch=x86_64&location=us-east-1",
		"/metalink?repo=fedora-41&arch=x86_64&location=us-east-1",
		"/metalink?repo=fedora-41&arch=x86_64&location=mars-1",
		"/mirrorlist?repo=fedora-41&arch=x86_64",
		"/mirrorlist?repo=fedora-41&arch=x86_64&redirect=1",
		"/mirrorlist?repo=nothing&arch=x86_64",
		"/healthz",
		"/api/v1/mirrors/x",
		"/nowhere",
	} {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.RemoteAddr = "192.0.2.1:40000"
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	got := gathered(t, m)
	for key, want := range map[string]float64{
		`metalinkd_http_requests_total{code=200,endpoint=metalink}`:               3,
		`metalinkd_http_requests_total{code=200,endpoint=mirrorlist}`:             1,
		`metalinkd_http_requests_total{code=404,endpoint=mirrorlist}`:             1,
		`metalinkd_http_requests_total{code=302,endpoint=redirect}`:               1,
		`metalinkd_http_requests_total{code=200,endpoint=health}`:                 1,
		`metalinkd_http_requests_total{code=401,endpoint=admin}`:                  1,
		`metalinkd_http_requests_total{code=404,endpoint=other}`:                  1,
		`metalinkd_admin_requests_total{code=401,route=/api/v1/mirrors/{name}}`:   1,
		`metalinkd_http_request_duration_seconds{endpoint=metalink}`:              3,
		`metalinkd_answer_first_step_total{step=location}`:                        2,
		`metalinkd_answer_first_step_total{step=country}`:                         3,
		`metalinkd_answer_first_step_total{step=none}`:                            1,
		`metalinkd_location_requests_total{location=us-east-1}`:                   2,
		`metalinkd_location_requests_total{location=other}`:                       1,
		`metalinkd_snapshot_objects{kind=mirrors}`:                                6,
		`metalinkd_store_state{state=ok}`:                                         1,
		`metalinkd_mirror_enabled{mirror=s3-us-east-1}`:                           1,
		`metalinkd_mirror_directories{mirror=s3-us-east-1,state=fresh}`:           1,
		`metalinkd_http_request_duration_seconds{endpoint=status_page}`:           0,
		`metalinkd_answer_first_step_total{step=global}`:                          0,
		`metalinkd_http_requests_total{code=200,endpoint=status_page}` + "absent": 0,
	} {
		if v, ok := got[strings.TrimSuffix(key, "absent")]; v != want || ok == strings.HasSuffix(key, "absent") {
			t.Errorf("%s = %v (present %t), want %v", key, v, ok, want)
		}
	}
}

// TestMirrorMetrics checks the per-mirror tally of a reload: enabled,
// directories by freshness, and the age of the newest report.
func TestMirrorMetrics(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	cur := store.Repomd{SHA256: strings.Repeat("a", 64)}
	old := store.Repomd{SHA256: strings.Repeat("b", 64)}
	d := &store.Dataset{
		Mirrors: []store.Mirror{
			{Name: "fresh", Enabled: true, Netblocks: []string{"192.0.2.0/24", "2001:db8::/32"}},
			{Name: "stale", Enabled: true},
			{Name: "silent"},
		},
		Health: []store.MirrorHealth{
			{Mirror: "fresh", LastCrawl: now.Add(-time.Hour)},
			{Mirror: "stale", LastCrawl: now.Add(-2 * time.Hour), ConsecutiveFailures: 4, Disabled: true, Reason: "4 consecutive failed crawls", Since: now},
		},
		Directories: []store.Directory{
			{Path: "releases/41/a", Current: cur, Alternates: []store.Repomd{old}},
			{Path: "releases/41/b", Current: cur},
		},
		Freshness: []store.Freshness{
			{Mirror: "fresh", Directory: "releases/41/a", SHA256: cur.SHA256, Reported: now.Add(-time.Hour)},
			{Mirror: "fresh", Directory: "releases/41/b", SHA256: cur.SHA256, Reported: now.Add(-2 * time.Hour)},
			{Mirror: "stale", Directory: "releases/41/a", SHA256: old.SHA256, Reported: now.Add(-3 * time.Hour)},
		},
	}
	m := NewMetrics()
	m.now = func() time.Time { return now }
	m.loaded(d, 2*time.Second)
	got := gathered(t, m)
	for key, want := range map[string]float64{
		"metalinkd_snapshot_objects{kind=mirrors}":                       3,
		"metalinkd_snapshot_objects{kind=directories}":                   2,
		"metalinkd_snapshot_objects{kind=netblocks}":                     2,
		"metalinkd_snapshot_reloads_total{}":                             1,
		"metalinkd_snapshot_build_seconds{}":                             2,
		"metalinkd_mirror_enabled{mirror=fresh}":                         1,
		"metalinkd_mirror_enabled{mirror=silent}":                        0,
		"metalinkd_mirror_directories{mirror=fresh,state=fresh}":         2,
		"metalinkd_mirror_directories{mirror=stale,state=stale}":         1,
		"metalinkd_mirror_directories{mirror=stale,state=unknown}":       1,
		"metalinkd_mirror_directories{mirror=silent,state=unknown}":      2,
		"metalinkd_mirror_last_report_age_seconds{mirror=fresh}":         3600,
		"metalinkd_mirror_last_report_age_seconds{mirror=stale}":         3 * 3600,
		"metalinkd_mirror_state{mirror=fresh,state=ok}":                  1,
		"metalinkd_mirror_state{mirror=fresh,state=disabled-by-crawler}": 0,
		"metalinkd_mirror_state{mirror=stale,state=disabled-by-crawler}": 1,
		"metalinkd_mirror_state{mirror=stale,state=ok}":                  0,
		"metalinkd_mirror_state{mirror=silent,state=admin-disabled}":     1,
		"metalinkd_mirror_state{mirror=silent,state=unknown}":            0,
		"metalinkd_mirror_last_crawl_age_seconds{mirror=fresh}":          3600,
		"metalinkd_mirror_last_crawl_age_seconds{mirror=stale}":          2 * 3600,
		"metalinkd_crawl_last_age_seconds{}":                             3600,
		"metalinkd_crawl_mirrors{result=ok}":                             1,
		"metalinkd_crawl_mirrors{result=failed}":                         1,
	} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %v (present %t), want %v", key, v, ok, want)
		}
	}
	if _, ok := got["metalinkd_mirror_last_report_age_seconds{mirror=silent}"]; ok {
		t.Error("a mirror that never reported has a report age")
	}
	if _, ok := got["metalinkd_mirror_last_crawl_age_seconds{mirror=silent}"]; ok {
		t.Error("a mirror never crawled has a crawl age")
	}
}

// TestLocationCountsSurviveReload checks that a reload keeps the counts of
// the locations it keeps, drops those it removes and counts new ones.
func TestLocationCountsSurviveReload(t *testing.T) {
	m := NewMetrics()
	m.setLocations([]string{"eu-west-1", "us-east-1"})
	m.answered(metalink.StepLocation, "us-east-1")
	m.answered(metalink.StepLocation, "eu-west-1")
	m.setLocations([]string{"ap-southeast-2", "us-east-1"})
	m.answered(metalink.StepLocation, "us-east-1")
	m.answered(metalink.StepCountry, "eu-west-1")
	got := gathered(t, m)
	for key, want := range map[string]float64{
		"metalinkd_location_requests_total{location=us-east-1}":      2,
		"metalinkd_location_requests_total{location=ap-southeast-2}": 0,
		"metalinkd_location_requests_total{location=other}":          1,
		"metalinkd_answer_first_step_total{step=location}":           3,
	} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %v (present %t), want %v", key, v, ok, want)
		}
	}
	if _, ok := got["metalinkd_location_requests_total{location=eu-west-1}"]; ok {
		t.Error("a removed location is still a label")
	}
}

func TestStatusCodeSlots(t *testing.T) {
	for code, want := range map[int]string{0: "200", 200: "200", 302: "302", 404: "404", 418: "4xx", 502: "5xx", 999: "other", 42: "other"} {
		if got := codeNames[slotOf(code)]; got != want {
			t.Errorf("code %d counted as %q, want %q", code, got, want)
		}
	}
}

// TestAnswerAllocationsWithMetrics keeps the answer path as lean with the
// metrics on as without, and within TestAnswerAllocations's limit.
func TestAnswerAllocationsWithMetrics(t *testing.T) {
	const limit = 7
	allocs := func(h http.Handler, target string) float64 {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.RemoteAddr = "192.0.2.1:40000"
		dw := &discardWriter{h: http.Header{}}
		return testing.AllocsPerRun(200, func() { clear(dw.h); h.ServeHTTP(dw, req) })
	}
	on, off := metricsServer(NewMetrics(), 5, nil), BenchHandler(5)
	for _, target := range []string{
		"/metalink?repo=fedora-41&arch=x86_64&location=us-east-1&countme=1",
		"/mirrorlist?repo=fedora-41&arch=x86_64",
	} {
		with, without := allocs(on, target), allocs(off, target)
		if with > without || with > limit {
			t.Errorf("%s: %.1f allocations per request with metrics, %.1f without, want no more and at most %d", target, with, without, limit)
		}
	}
}

// BenchmarkMetalinkMetrics compares a metalink answer over 50 mirrors with
// the metrics off and on.
func BenchmarkMetalinkMetrics(b *testing.B) {
	const target = "/metalink?repo=fedora-41&arch=x86_64&location=us-east-1&countme=1"
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("metrics=%t", on), func(b *testing.B) {
			h := BenchHandler(50)
			if on {
				h = metricsServer(NewMetrics(), 50, nil)
			}
			req := httptest.NewRequest(http.MethodGet, target, nil)
			req.RemoteAddr = "192.0.2.1:40000"
			dw := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(dw.h)
				h.ServeHTTP(dw, req)
			}
		})
	}
}

// BenchmarkMetricsRecord is what the metrics add to one answer: the
// request's counter and histogram, its first step and its location.
func BenchmarkMetricsRecord(b *testing.B) {
	m := NewMetrics()
	m.setLocations([]string{"eu-west-1", "us-east-1"})
	b.ReportAllocs()
	for b.Loop() {
		m.answered(metalink.StepLocation, "us-east-1")
		m.request("/metalink", false, "", http.StatusOK, 30*time.Microsecond)
	}
}

// TestReloadMetrics checks that reloads and their failures are counted and
// that a reload refreshes the per-mirror metrics.
func TestReloadMetrics(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d := benchDataset(3)
	if err := st.Restore(ctx, d); err != nil {
		t.Fatal(err)
	}
	m := NewMetrics()
	rl, err := StartReloader(ctx, st, slog.New(slog.DiscardHandler), ReloaderOptions{Every: time.Hour, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateMirror(ctx, d.Mirrors[0].Name, func(mr *store.Mirror) error { mr.Enabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := rl.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	// A broken store (here: its handle closed under the reloader).
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rl.Reload(ctx); err == nil {
		t.Fatal("a closed store reloaded")
	}
	got := gathered(t, m)
	for key, want := range map[string]float64{
		"metalinkd_snapshot_reloads_total{}":                         2,
		"metalinkd_snapshot_reload_failures_total{}":                 1,
		"metalinkd_mirror_enabled{mirror=" + d.Mirrors[0].Name + "}": 0,
		"metalinkd_mirror_enabled{mirror=" + d.Mirrors[1].Name + "}": 1,
		"metalinkd_snapshot_objects{kind=mirrors}":                   4,
		"metalinkd_serving_snapshot_cache{}":                         0,
		"metalinkd_store_state{state=ok}":                            1,
	} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %v (present %t), want %v", key, v, ok, want)
		}
	}
	if age, ok := got["metalinkd_snapshot_age_seconds{}"]; !ok || age < 0 {
		t.Errorf("snapshot age %v (present %t)", age, ok)
	}
}

package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// TestMetrics drives the real binary with a few requests and checks what
// its metrics listener says of them, and that the public port does not
// serve the metrics.
func TestMetrics(t *testing.T) {
	metricsAddr := testpeer.FreeAddr(t)
	addr := serveDemo(t, "--metrics-listen", metricsAddr)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct {
		target string
		status int
	}{
		{"/metalink?repo=fedora-41&arch=x86_64&location=us-east-1", http.StatusOK},
		{"/mirrorlist?repo=fedora-41&arch=x86_64", http.StatusOK},
		{"/mirrorlist?repo=fedora-41&arch=x86_64&location=nowhere-9", http.StatusOK},
		{"/metalink?repo=no-such-repo&arch=x86_64", http.StatusNotFound},
		{"/mirrorlist?path=releases/41/Everything/x86_64/os/repodata/repomd.xml&redirect=1", http.StatusFound},
		{"/api/v1/mirrors/us-east-mirror", http.StatusUnauthorized},
		{"/metrics", http.StatusNotFound},
	} {
		resp, err := noRedirect.Get("http://" + addr + tt.target)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Fatalf("%s: status %d, want %d:\n%s", tt.target, resp.StatusCode, tt.status, body)
		}
		if tt.target == "/metrics" && strings.Contains(string(body), "metalinkd_") {
			t.Errorf("the public port serves the metrics:\n%s", body)
		}
	}

	fams := scrape(t, "http://"+metricsAddr+"/metrics")
	for _, want := range []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"metalinkd_http_requests_total", map[string]string{"endpoint": "metalink", "code": "200"}, 1},
		{"metalinkd_http_requests_total", map[string]string{"endpoint": "metalink", "code": "404"}, 1},
		{"metalinkd_http_requests_total", map[string]string{"endpoint": "mirrorlist", "code": "200"}, 2},
		{"metalinkd_http_requests_total", map[string]string{"endpoint": "redirect", "code": "302"}, 1},
		{"metalinkd_http_requests_total", map[string]string{"endpoint": "admin", "code": "401"}, 1},
		{"metalinkd_http_requests_total", map[string]string{"endpoint": "other", "code": "404"}, 1},
		{"metalinkd_admin_requests_total", map[string]string{"route": "/api/v1/mirrors/{name}", "code": "401"}, 1},
		{"metalinkd_answer_first_step_total", map[string]string{"step": "location"}, 1},
		{"metalinkd_answer_first_step_total", map[string]string{"step": "none"}, 1},
		{"metalinkd_location_requests_total", map[string]string{"location": "us-east-1"}, 1},
		{"metalinkd_location_requests_total", map[string]string{"location": "eu-west-1"}, 0},
		{"metalinkd_location_requests_total", map[string]string{"location": "other"}, 1},
		{"metalinkd_snapshot_reload_failures_total", nil, 0},
		{"metalinkd_store_state", map[string]string{"state": "ok"}, 1},
		{"metalinkd_store_state", map[string]string{"state": "degraded"}, 0},
		{"metalinkd_snapshot_objects", map[string]string{"kind": "locations"}, 3},
		{"metalinkd_mirror_enabled", map[string]string{"mirror": "s3-us-east-1"}, 1},
		{"metalinkd_mirror_directories", map[string]string{"mirror": "s3-us-east-1", "state": "stale"}, 0},
		{"metalinkd_connections_refused_total", map[string]string{"reason": "limit"}, 0},
	} {
		if got, ok := sample(fams, want.name, want.labels); !ok || got != want.value {
			t.Errorf("%s%v = %v (found %t), want %v", want.name, want.labels, got, ok, want.value)
		}
	}
	// Health probes and the metalink histogram.
	if got, _ := sample(fams, "metalinkd_http_requests_total", map[string]string{"endpoint": "health", "code": "200"}); got < 1 {
		t.Errorf("health answers counted %v, want at least the readiness probe's", got)
	}
	if h := histogram(fams, "metalinkd_http_request_duration_seconds", "metalink"); h == nil || h.GetSampleCount() != 2 {
		t.Errorf("metalink latency histogram %v, want 2 observations", h)
	}
	// An always-up-to-date mirror is fresh in every scanned directory.
	dirs, _ := sample(fams, "metalinkd_snapshot_objects", map[string]string{"kind": "directories"})
	if fresh, _ := sample(fams, "metalinkd_mirror_directories", map[string]string{"mirror": "s3-us-east-1", "state": "fresh"}); dirs == 0 || fresh != dirs {
		t.Errorf("s3-us-east-1 fresh in %v directories of %v", fresh, dirs)
	}
	mirrors, _ := sample(fams, "metalinkd_snapshot_objects", map[string]string{"kind": "mirrors"})
	if n := len(fams["metalinkd_mirror_enabled"].GetMetric()); mirrors == 0 || float64(n) != mirrors {
		t.Errorf("metalinkd_mirror_enabled has %d mirrors, the snapshot %v", n, mirrors)
	}
	for _, name := range []string{"metalinkd_snapshot_age_seconds", "metalinkd_snapshot_build_seconds",
		"metalinkd_snapshot_reloads_total", "go_goroutines", "process_start_time_seconds"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
}

// scrape reads url's metrics in the text format.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return fams
}

// sample returns the value of the counter or gauge name with exactly labels.
func sample(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	for _, m := range fams[name].GetMetric() {
		if hasLabels(m, labels) {
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			case m.Untyped != nil:
				return m.Untyped.GetValue(), true
			}
		}
	}
	return 0, false
}

// histogram returns the histogram name of one endpoint.
func histogram(fams map[string]*dto.MetricFamily, name, endpoint string) *dto.Histogram {
	for _, m := range fams[name].GetMetric() {
		if hasLabels(m, map[string]string{"endpoint": endpoint}) {
			return m.GetHistogram()
		}
	}
	return nil
}

func hasLabels(m *dto.Metric, labels map[string]string) bool {
	if len(m.GetLabel()) != len(labels) {
		return false
	}
	for _, l := range m.GetLabel() {
		if v, ok := labels[l.GetName()]; !ok || v != l.GetValue() {
			return false
		}
	}
	return true
}

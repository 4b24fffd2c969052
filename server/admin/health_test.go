package admin

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/adminapi"
	"github.com/metalinkd/metalinkd/store"
)

// crawlFailures records n failed crawls of m2 under the default policy.
func (f *fixture) crawlFailures(n int, from time.Time) {
	f.t.Helper()
	for i := range n {
		start := from.Add(time.Duration(i) * time.Hour)
		r := store.CrawlResult{Mirror: "m2", Started: start, Finished: start.Add(time.Minute),
			Checks: []store.ProtocolCheck{{Protocol: "http", Reason: store.ReasonRefused, Detail: "connection refused"}}}
		if _, err := f.st.RecordCrawl(context.Background(), r, store.CrawlPolicy{DisableAfter: store.DefaultDisableAfter}); err != nil {
			f.t.Fatal(err)
		}
	}
}

func TestHealth(t *testing.T) { eachStore(t, testHealth) }

func testHealth(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)

	// Nothing crawled yet: every mirror is unknown.
	var list adminapi.HealthList
	f.admin(http.MethodGet, "/health", nil, http.StatusOK, &list)
	if len(list.Mirrors) != 2 || list.Mirrors[0].State != adminapi.StateUnknown || list.Mirrors[1].State != adminapi.StateUnknown {
		t.Fatalf("GET /health before any crawl = %+v, want m1 and m2 unknown", list)
	}

	f.crawlFailures(store.DefaultDisableAfter, t0)
	var h adminapi.MirrorHealth
	f.admin(http.MethodGet, "/mirrors/m2/health", nil, http.StatusOK, &h)
	since := t0.Add(time.Duration(store.DefaultDisableAfter-1)*time.Hour + time.Minute)
	if h.State != adminapi.StateCrawlerDisabled || !h.Since.Equal(since) || !strings.Contains(h.Reason, "4 consecutive failed crawls") ||
		h.ConsecutiveFailures != 4 || len(h.Protocols) != 1 || h.Protocols[0].LastReason != store.ReasonRefused ||
		h.Protocols[0].LastDetail != "connection refused" {
		t.Errorf("GET /mirrors/m2/health = %+v, want disabled by the crawler since %v with the reason", h, since)
	}
	var detail adminapi.MirrorDetail
	f.admin(http.MethodGet, "/mirrors/m2", nil, http.StatusOK, &detail)
	if detail.Health == nil || detail.Health.State != adminapi.StateCrawlerDisabled || !detail.Enabled {
		t.Errorf("GET /mirrors/m2 = %+v, want enabled by its admin and disabled by the crawler", detail)
	}

	// The admin's flag wins in the state; the crawler's reason stays.
	f.admin(http.MethodPost, "/mirrors/m2/disable", nil, http.StatusOK, nil)
	f.admin(http.MethodGet, "/mirrors/m2/health", nil, http.StatusOK, &h)
	if h.State != adminapi.StateAdminDisabled || h.Reason == "" {
		t.Errorf("health of an admin-disabled mirror = %+v", h)
	}
	f.admin(http.MethodPost, "/mirrors/m2/enable", nil, http.StatusOK, nil)

	// A report token cannot recover its mirror; an admin can.
	if a := f.do(http.MethodPost, "/mirrors/m2/recover", "report:m2", nil); a.status != http.StatusForbidden {
		t.Errorf("recover with m2's report token = %d, want 403", a.status)
	}
	h = adminapi.MirrorHealth{}
	f.admin(http.MethodPost, "/mirrors/m2/recover", nil, http.StatusOK, &h)
	if h.State != adminapi.StateOK || h.Reason != "" || h.ConsecutiveFailures != 0 {
		t.Errorf("POST /mirrors/m2/recover = %+v, want ok", h)
	}
	f.admin(http.MethodPost, "/mirrors/nobody/recover", nil, http.StatusNotFound, nil)
	f.admin(http.MethodGet, "/mirrors/nobody/health", nil, http.StatusNotFound, nil)
}

func TestReportRefusedByCrawl(t *testing.T) { eachStore(t, testReportRefusedByCrawl) }

// A report of a repomd the crawler saw the mirror not serve is a 409 that
// says so.
func testReportRefusedByCrawl(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	r := store.CrawlResult{Mirror: "m2", Started: t0.Add(time.Minute), Finished: t0.Add(2 * time.Minute),
		Checks:       []store.ProtocolCheck{{Protocol: "http", OK: true}},
		Observations: []store.Observation{{Directory: dir, Status: store.SeenOther, SHA256: shaOther}}}
	if _, err := f.st.RecordCrawl(context.Background(), r, store.CrawlPolicy{}); err != nil {
		t.Fatal(err)
	}
	a := f.do(http.MethodPost, "/mirrors/m2/report", "report:m2", map[string]string{"directory": dir, "sha256": shaNow})
	if a.status != http.StatusConflict || !strings.Contains(a.error().Error, "the crawler saw m2 serve repomd.xml "+shaOther) {
		t.Errorf("report refused by the crawl = %d %s", a.status, a.body)
	}
	// What the crawler saw becomes fresh there with its source.
	r.Started, r.Finished = t0.Add(3*time.Minute), t0.Add(4*time.Minute)
	r.Observations[0] = store.Observation{Directory: dir, Status: store.SeenOK, SHA256: shaNow}
	if _, err := f.st.RecordCrawl(context.Background(), r, store.CrawlPolicy{}); err != nil {
		t.Fatal(err)
	}
	var detail adminapi.MirrorDetail
	f.admin(http.MethodGet, "/mirrors/m2", nil, http.StatusOK, &detail)
	if len(detail.Freshness) != 1 || detail.Freshness[0].Source != adminapi.SourceCrawl {
		t.Errorf("freshness of m2 = %+v, want one row from the crawl", detail.Freshness)
	}
	f.admin(http.MethodGet, "/mirrors/m1", nil, http.StatusOK, &detail)
	if len(detail.Freshness) != 1 || detail.Freshness[0].Source != adminapi.SourceReport {
		t.Errorf("freshness of m1 = %+v, want one reported row", detail.Freshness)
	}
}

func TestPropagation(t *testing.T) { eachStore(t, testPropagation) }

func testPropagation(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	points := []store.PropagationPoint{
		{Directory: dir, At: t0, SHA256: shaNow, Current: 1, Other: 1},
		{Directory: dir, At: t0.Add(30 * time.Minute), SHA256: shaNow, Current: 2},
		{Directory: "other/dir", At: t0.Add(30 * time.Minute), SHA256: shaOld, Older: 2},
	}
	if err := f.st.RecordPropagation(context.Background(), points, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	var out adminapi.PropagationList
	f.admin(http.MethodGet, "/propagation?directory=/"+dir+"/", nil, http.StatusOK, &out)
	if len(out.Points) != 2 || out.Points[1].Current != 2 || !out.Points[0].At.Equal(t0) {
		t.Errorf("GET /propagation?directory= = %+v", out)
	}
	// The API's clock is t0+1h: 45m back leaves the points of t0+30m.
	f.admin(http.MethodGet, "/propagation?since=45m", nil, http.StatusOK, &out)
	if len(out.Points) != 2 || out.Points[0].Directory != "other/dir" || out.Points[1].Directory != dir {
		t.Errorf("GET /propagation?since=45m = %+v", out)
	}
	f.admin(http.MethodGet, "/propagation?since="+t0.Add(time.Minute).Format(time.RFC3339), nil, http.StatusOK, &out)
	if len(out.Points) != 2 {
		t.Errorf("GET /propagation?since=RFC3339 = %+v", out)
	}
	a := f.admin(http.MethodGet, "/propagation?since=yesterday", nil, http.StatusBadRequest, nil)
	if fs := a.fields(); len(fs) != 1 || fs[0] != "since" {
		t.Errorf("bad since: fields %v", fs)
	}
}

//go:build linux

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/metalinkd/metalinkd/internal/demo"
	"github.com/metalinkd/metalinkd/internal/testpeer"
	"github.com/metalinkd/metalinkd/server/status"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// TestStatusPageInBrowser serves the demo data set with the real binary,
// disables one public mirror and takes another off always-up-to-date
// through the CLI, then opens /mirrors in headless Chromium: the page must
// show the headings, the mirrors with their countries and states, the
// counts per category, the propagation chart, the latest compose's chart
// of the crawls recorded in the store, and the usage charts of the
// requests it was sent, and log no error. It saves a
// screenshot in the test's artifact directory (go test -artifacts keeps it).
func TestStatusPageInBrowser(t *testing.T) {
	testBinary(t) // skips when Chromium is missing
	d, err := demo.Dataset(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var public []string
	countries := map[string]string{}
	for _, m := range d.Mirrors {
		if m.Enabled && !m.Private && !m.Regional() {
			public = append(public, m.Name)
			countries[m.Name] = m.Country
		}
	}
	disabled, unknown, shown := public[0], public[1], public[2]

	md := newMetalinkd(t, t.TempDir())
	md.serveDemo(t, "--stats-flush", "1s")
	out, err := exec.Command(md.bin, "token", "create", "--data-dir", md.dataDir, "--scope", "admin", "--name", "e2e").Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	cli := func(args ...string) {
		t.Helper()
		cmd := exec.Command(md.bin, args...)
		cmd.Env = append(os.Environ(), "METALINKD_SERVER="+md.url, "METALINKD_TOKEN="+strings.TrimSpace(string(out)))
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("metalinkd %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
	// A crawl's counts for the latest compose, as the crawler records them,
	// for the propagation chart; the CLI's changes below reload the page.
	compose := recordCrawl(t, md.dataDir)
	cli("mirror", "disable", disabled)
	cli("mirror", "update", unknown, "--always-up-to-date=false")
	// Requests as dnf sends them, for the usage charts: two countme hits.
	for _, q := range []string{"repo=fedora-41&arch=x86_64&countme=1", "repo=fedora-41&arch=x86_64&countme=4", "repo=fedora-41&arch=x86_64"} {
		if _, _, err := httpGet(md.url + "/metalink?" + q); err != nil {
			t.Fatal(err)
		}
	}
	testpeer.MustEventually(t, 30*time.Second, "the page to show the changes and the statistics", func() bool {
		_, body, err := httpGet(md.url + "/mirrors")
		return err == nil && strings.Contains(body, disabled+`</td><td>`) &&
			strings.Contains(body, `<td class="state-disabled">disabled</td>`) &&
			// A category row with no stale mirror and one unknown: the second change.
			strings.Contains(body, `<td class="n">0</td><td class="n">1</td></tr>`) &&
			// A column's title is its date and count: three requests today,
			// two countme hits this week, once a flush has written them.
			strings.Contains(body, ": 3</title>") && strings.Contains(body, ": 2</title>") &&
			strings.Contains(body, "timeline-title")
	})

	ctx, console := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(md.url+"/mirrors"), chromedp.WaitVisible(chromedp.CSS("#terms"))); err != nil {
		t.Fatalf("opening %s/mirrors: %v", md.url, err)
	}
	h1 := browse(t, ctx, chromedp.Text(chromedp.CSS("h1")))
	h2s := browse(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("h2"), e => e.textContent)`))
	// The table after a country's heading lists its mirrors.
	countryText := browse(t, ctx, chromedp.Evaluate[string](`document.getElementById("country-`+countries[shown]+`").nextElementSibling.textContent`))
	disabledState := browse(t, ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("#mirrors tbody tr"))`+
		`.filter(r => r.cells[0].textContent == `+strconv.Quote(disabled)+`).map(r => r.cells[2].textContent).join()`))
	rows := browse(t, ctx, chromedp.Evaluate[[][]string](`Array.from(document.querySelectorAll("#repositories tbody tr"), r => Array.from(r.cells, c => c.textContent))`))
	bars := browse(t, ctx, chromedp.Evaluate[int](`document.querySelector("#propagation svg").querySelectorAll("g.bar rect").length`))
	timeline := browse(t, ctx, chromedp.Evaluate[[][]string](`Array.from(document.querySelectorAll("#propagation svg[aria-labelledby=timeline-title] g.bar"),`+
		` g => Array.from(g.querySelectorAll("rect"), r => r.getAttribute("class")).concat([g.lastElementChild.textContent]))`))
	composeNote := browse(t, ctx, chromedp.Evaluate[string](`document.getElementById("latest-compose").nextElementSibling.textContent`))
	usage := browse(t, ctx, chromedp.Evaluate[[]int](`["requests", "bucket1", "bucket4"].map(c => document.querySelectorAll("#usage svg g.column rect." + c).length)`))
	png := browse(t, ctx, chromedp.FullScreenshot(100))
	shot := filepath.Join(t.ArtifactDir(), "mirrors.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of /mirrors: %s", shot)

	if h1 != "Mirror status" {
		t.Errorf("h1 %q", h1)
	}
	for _, h := range []string{"Repositories", "Propagation", "Usage", "Mirrors by country", "Regional mirrors"} {
		if !slices.Contains(h2s, h) {
			t.Errorf("no %q heading among %q", h, h2s)
		}
	}
	if !strings.Contains(countryText, shown) {
		t.Errorf("mirror %s is not listed under %s:\n%s", shown, countries[shown], countryText)
	}
	if disabledState != "disabled" {
		t.Errorf("state of %s is %q, want disabled", disabled, disabledState)
	}
	// Every category counts the enabled public mirrors: all fresh (always
	// up to date) but the one that no longer is and has not reported.
	want := []string{strconv.Itoa(len(public) - 2), "0", "1"}
	if len(rows) == 0 {
		t.Error("no category rows")
	}
	for _, r := range rows {
		if len(r) != 6 || !slices.Equal(r[3:], want) {
			t.Errorf("category row %q: want fresh, stale, unknown %q", r, want)
		}
	}
	// Each category's bar has a fresh and an unknown segment.
	if bars != 2*len(rows) {
		t.Errorf("%d bar segments in the chart for %d categories, want %d", bars, len(rows), 2*len(rows))
	}
	// The latest compose's chart: a bar per crawl, stacking the mirrors
	// serving the current repomd.xml, an older one, and those not reached.
	wantTimeline := [][]string{{"fresh", "alternate", "unknown", "2/5 current"}, {"fresh", "unknown", "4/5 current"}}
	if !slices.EqualFunc(timeline, wantTimeline, slices.Equal) {
		t.Errorf("propagation chart bars %q, want %q", timeline, wantTimeline)
	}
	if !strings.HasPrefix(composeNote, compose+": ") {
		t.Errorf("latest compose note %q, want it to name %s", composeNote, compose)
	}
	// Today's column of requests, this week's of countme buckets 1 and 4
	// (the status page's own views are not counted).
	if !slices.Equal(usage, []int{1, 1, 1}) {
		t.Errorf("usage charts: %v columns of requests, bucket 1 and bucket 4, want one each", usage)
	}
	if errs := console(); len(errs) > 0 {
		t.Errorf("the browser reported errors:\n%s", strings.Join(errs, "\n"))
	}
}

// recordCrawl records two crawls' propagation points for the latest
// compose of the store in dataDir, as the crawler would, and returns its
// directory.
func recordCrawl(t *testing.T, dataDir string) string {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir, recorded := status.LatestCompose(d)
	var sha string
	for _, x := range d.Directories {
		if x.Path == dir {
			sha = x.Current.SHA256
		}
	}
	points := []store.PropagationPoint{
		{Directory: dir, At: recorded.Add(20 * time.Minute), SHA256: sha, Current: 2, Older: 2, Failed: 1},
		{Directory: dir, At: recorded.Add(80 * time.Minute), SHA256: sha, Current: 4, Failed: 1},
	}
	if err := st.RecordPropagation(ctx, points, 0); err != nil {
		t.Fatal(err)
	}
	return dir
}

// serveDemo starts `metalinkd serve --demo` with flags on a free loopback port.
func (d *metalinkd) serveDemo(t *testing.T, flags ...string) {
	t.Helper()
	addr := testpeer.FreeAddr(t)
	logFile, err := os.Create(d.logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(d.bin, append([]string{"serve", "--demo", "--data-dir", d.dataDir, "--listen", addr}, flags...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	p := testpeer.Start(t, cmd)
	logFile.Close()
	d.url = "http://" + addr
	if err := testpeer.WaitReady(p, 30*time.Second, testpeer.HTTPOK(d.url+"/healthz")); err != nil {
		t.Fatalf("metalinkd serve --demo: %v\n%s", err, d.serverLog(t))
	}
}

// browse runs one browser action and returns its value, failing t on error.
func browse[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

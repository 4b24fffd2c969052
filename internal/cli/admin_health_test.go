package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// rowOf returns the line of a table that starts with name.
func rowOf(out, name string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, name+" ") {
			return l
		}
	}
	return ""
}

// TestMirrorHealthCommands records crawls in the store behind a running
// server, as the crawler would, and reads them back with mirror list, show
// and recover.
func TestMirrorHealthCommands(t *testing.T) {
	storeEnv, api := adminServer(t)
	const dir = "releases/41/Everything/x86_64/os"
	master := t.TempDir()
	writeRepomd(t, master, dir, "1")
	cliExpect(t, storeEnv, ExitOK, nil, "scan", "--root", master)

	ctx := context.Background()
	st, err := sqlite.Open(ctx, storeEnv["METALINKD_DATA_DIR"])
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err := st.Directory(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	p := store.CrawlPolicy{DisableAfter: store.DefaultDisableAfter}
	_, err = st.RecordCrawl(ctx, store.CrawlResult{Mirror: "fresh-later", Started: t0, Finished: t0.Add(time.Minute),
		Checks:       []store.ProtocolCheck{{Protocol: "http", OK: true}},
		Observations: []store.Observation{{Directory: dir, Status: store.SeenOK, SHA256: d.Current.SHA256}}}, p)
	if err != nil {
		t.Fatal(err)
	}
	for i := range store.DefaultDisableAfter {
		start := t0.Add(time.Duration(i) * time.Hour)
		_, err := st.RecordCrawl(ctx, store.CrawlResult{Mirror: "de", Started: start, Finished: start.Add(time.Minute),
			Checks: []store.ProtocolCheck{{Protocol: "http", Reason: store.ReasonHTTPStatus, Detail: "HTTP 503"}}}, p)
		if err != nil {
			t.Fatal(err)
		}
	}

	r := cliExpect(t, api, ExitOK, []string{"STATE", "REASON"}, "mirror", "list")
	if row := rowOf(r.stdout, "de"); !strings.Contains(row, "disabled-by-crawler") ||
		!strings.Contains(row, "4 consecutive failed crawls; last: http http-status (HTTP 503) (since 2026-11-01T15:01:00Z)") {
		t.Errorf("mirror list row of de: %q", row)
	}
	if row := rowOf(r.stdout, "fresh-later"); !strings.Contains(row, " ok ") {
		t.Errorf("mirror list row of fresh-later: %q", row)
	}
	if row := rowOf(r.stdout, "bucket"); !strings.Contains(row, " unknown ") {
		t.Errorf("mirror list row of bucket (never crawled): %q", row)
	}

	r = cliExpect(t, api, ExitOK, []string{"state              ok", "last_crawl         2026-11-01T12:01:00Z",
		"PROTOCOL", "http      2026-11-01T12:01:00Z", "SOURCE", "crawl   2026-11-01T12:00:00Z"}, "mirror", "show", "fresh-later")
	if !strings.Contains(r.stdout, dir) {
		t.Errorf("mirror show lacks the directory:\n%s", r.stdout)
	}
	cliExpect(t, api, ExitOK, []string{"state              disabled-by-crawler", "HTTP 503", "failed_crawls      4"}, "mirror", "show", "de")

	cliExpect(t, api, ExitOK, []string{"recovered mirror de"}, "mirror", "recover", "de")
	r = cliExpect(t, api, ExitOK, nil, "mirror", "list")
	if row := rowOf(r.stdout, "de"); !strings.Contains(row, " ok ") || strings.Contains(row, "consecutive") {
		t.Errorf("mirror list row of de after recover: %q", row)
	}
	cliExpect(t, api, ExitError, []string{`mirror "nobody" not found (HTTP 404)`}, "mirror", "recover", "nobody")
}

package cli

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/geoip/geoiptest"
	"github.com/metalinkd/metalinkd/internal/logging"
	"github.com/metalinkd/metalinkd/store"
)

// TestServeFlushesStatsOnShutdown serves a few answers through two
// servers sharing one embedded store (two replicas), with a flush period far
// longer than the test, stops both at once and reads what their last
// flushes wrote with `metalinkd stats`.
func TestServeFlushesStatsOnShutdown(t *testing.T) {
	testServeFlushesStats(t, map[string]string{"METALINKD_DATA_DIR": t.TempDir()})
}

// TestPostgresServeFlushesStats is the same with two servers on one
// PostgreSQL database.
func TestPostgresServeFlushesStats(t *testing.T) {
	pg.Require(t)
	testServeFlushesStats(t, map[string]string{"DATABASE_URL": pg.NewDatabase(t, true),
		"METALINKD_SNAPSHOT_CACHE": "off"})
}

func testServeFlushesStats(t *testing.T, env map[string]string) {
	master := t.TempDir()
	const dir = "releases/41/Everything/x86_64/os"
	writeRepomd(t, master, dir, "1")
	if r := runCLI(t, env, mirrorsYAML, "import", "-"); r.code != ExitOK {
		t.Fatalf("import: %+v", r)
	}
	if r := runCLI(t, env, "", "scan", "--root", master); r.code != ExitOK {
		t.Fatalf("scan: %+v", r)
	}
	geo := geoiptest.Write(t, []geoiptest.Entry{{CIDR: "192.0.2.0/24", Country: "DE"}})
	c, err := LoadServeConfig(Env{Getenv: func(k string) string { return env[k] }, Stdout: io.Discard, Stderr: io.Discard},
		[]string{"--geoip-db", geo, "--allow-ip-param", "--stats-flush", "1h"})
	if err != nil {
		t.Fatal(err)
	}
	var cleanups []func()
	var urls []string
	for range 2 {
		w, cleanup, err := wireServer(context.Background(), c, slog.New(slog.DiscardHandler), nil, logging.JSON)
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(w.srv.Handler())
		cleanups = append(cleanups, func() { ts.Close(); cleanup() })
		urls = append(urls, ts.URL)
	}
	for i, q := range []string{
		"/metalink?repo=fedora-41&arch=x86_64&countme=1&ip=192.0.2.9",
		"/metalink?repo=fedora-41&arch=x86_64&countme=1&ip=192.0.2.9",
		"/metalink?repo=fedora-41&arch=x86_64&countme=4&location=us-east-1&ip=192.0.2.9",
		"/mirrorlist?repo=fedora-41&arch=x86_64&ip=192.0.2.9",
		"/metalink?repo=fedora-99&arch=x86_64&countme=2&ip=192.0.2.9",
	} {
		fetch(t, urls[i%2]+q)
	}
	// Both replicas stop, and flush, at once.
	var wg sync.WaitGroup
	for _, stop := range cleanups {
		wg.Add(1)
		go func() { defer wg.Done(); stop() }()
	}
	wg.Wait()

	today := time.Now().UTC().Format(time.DateOnly)
	week := store.CountmeWeek(time.Now()).Format(time.DateOnly)
	r := runCLI(t, env, "", "stats", "--by", "repo,country", "--csv")
	if want := "repo,country,requests\nfedora-41,DE,4\nother,DE,1\n"; r.code != ExitOK || r.stdout != want {
		t.Errorf("stats --by repo,country --csv: %+v, want stdout %q", r, want)
	}
	r = runCLI(t, env, "", "stats", "--kind", "countme", "--csv")
	if want := "week,bucket,hits\n" + week + ",1,2\n" + week + ",4,1\n"; r.code != ExitOK || r.stdout != want {
		t.Errorf("stats --kind countme --csv: %+v, want stdout %q", r, want)
	}
	r = runCLI(t, env, "", "stats", "--by", "location,step", "--repo", "fedora-41", "--since", today, "--until", today)
	// The bucket has not reported this repomd: the location's request was
	// answered from the country step.
	if lines := strings.Split(r.stdout, "\n"); r.code != ExitOK || len(lines) != 5 ||
		strings.Join(strings.Fields(lines[0]), " ") != "LOCATION STEP REQUESTS" ||
		strings.Join(strings.Fields(lines[1]), " ") != "- country 3" ||
		strings.Join(strings.Fields(lines[2]), " ") != "us-east-1 country 1" ||
		strings.Join(strings.Fields(lines[3]), " ") != "TOTAL 4" {
		t.Errorf("stats table by location and step: %+v", r)
	}
	r = runCLI(t, env, "", "stats", "--by", "week", "--csv")
	if want := "week,requests\n" + week + ",5\n"; r.code != ExitOK || r.stdout != want {
		t.Errorf("stats --by week --csv: %+v, want stdout %q", r, want)
	}
	r = runCLI(t, env, "", "stats", "--since", "2000-01-01", "--until", "2000-01-02", "--csv")
	if r.code != ExitOK || r.stdout != "day,requests\n" {
		t.Errorf("stats of days without requests: %+v", r)
	}
	for _, args := range [][]string{
		{"--kind", "bogus"}, {"--by", "country", "--kind", "countme"}, {"--by", "secret"}, {"--since", "yesterday"},
		{"--by", "day,week"}, {"extra"},
	} {
		if r := runCLI(t, env, "", append([]string{"stats"}, args...)...); r.code != ExitUsage {
			t.Errorf("stats %v: exit %d, want %d (usage)", args, r.code, ExitUsage)
		}
	}
}

func TestServeStatsFlags(t *testing.T) {
	env := Env{Getenv: func(string) string { return "" }, Stdout: io.Discard, Stderr: io.Discard}
	c, err := LoadServeConfig(env, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.StatsConfig.Flush != time.Minute || c.Keep != store.DefaultStatsRetention {
		t.Errorf("defaults: flush %v, retention %+v", c.StatsConfig.Flush, c.Keep)
	}
	if c, err := LoadServeConfig(env, []string{"--stats-flush", "0"}); err != nil || newStats(c.StatsConfig, nil) != nil {
		t.Errorf("--stats-flush 0 did not turn statistics off (%v)", err)
	}
	for _, args := range [][]string{{"--stats-flush", "-1s"}, {"--stats-keep-days", "0"}, {"--stats-keep-weeks", "-3"}} {
		if _, err := LoadServeConfig(env, args); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

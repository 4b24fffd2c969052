package mirrorsync

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// benchAWS finds Debian's aws (the awscli package) before any other on PATH.
func benchAWS(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/aws"); err == nil {
		return "/usr/bin/aws"
	}
	return testpeer.Require(t, "aws", "see scripts/test.sh")
}

// TestBenchmarkAgainstAWSCLI publishes a generated repository of 2,000
// small packages with mirror-sync and with `aws s3 sync`, each into its own
// bucket of the same gateway, in the same run, and reports time and
// requests (counted by the proxy) for a first sync and a no-op resync.
// It only reports: set MIRRORSYNC_BENCH=1 to run it (scripts/bench-sync.sh).
func TestBenchmarkAgainstAWSCLI(t *testing.T) {
	if os.Getenv("MIRRORSYNC_BENCH") != "1" {
		t.Skip("benchmark: set MIRRORSYNC_BENCH=1 (scripts/bench-sync.sh)")
	}
	aws := benchAWS(t)
	e := newSyncEnv(t)
	names := make([]string, 2000)
	for i := range names {
		names[i] = fmt.Sprintf("p%04d-1-1", i)
	}
	makeRepo(t, manySet(t), e.root, testDir, names)
	createBucket(t, e.gw.Endpoint, "bench-aws")

	type result struct {
		tool, run string
		d         time.Duration
		counts    map[string]int
	}
	var results []result
	for _, run := range []string{"first", "no-op"} {
		start := time.Now()
		_, counts := e.mustSync(t0)
		results = append(results, result{"mirror-sync", run, time.Since(start), counts})
	}
	for _, run := range []string{"first", "no-op"} {
		cmd := exec.Command(aws, "--endpoint-url", e.proxy.URL, "--region", "us-east-1", "s3", "sync", "--only-show-errors",
			filepath.Join(e.root), "s3://bench-aws/"+testPrefix+"/")
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AWS_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, "AWS_ACCESS_KEY_ID="+testAccess, "AWS_SECRET_ACCESS_KEY="+testSecret,
			"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_CONFIG_FILE=/dev/null")
		e.proxy.counts()
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("aws s3 sync: %v\n%s", err, out)
		}
		results = append(results, result{"aws s3 sync", run, time.Since(start), e.proxy.counts()})
	}
	version, _ := exec.Command(aws, "--version").CombinedOutput()
	var b strings.Builder
	fmt.Fprintf(&b, "2,000 packages + metadata; %s", version)
	fmt.Fprintf(&b, "%-12s %-6s %10s %6s %6s %6s %6s %6s %6s\n", "tool", "run", "seconds", "total", "LIST", "GET", "HEAD", "PUT", "DELETE")
	for _, r := range results {
		total := 0
		for _, n := range r.counts {
			total += n
		}
		fmt.Fprintf(&b, "%-12s %-6s %10.2f %6d %6d %6d %6d %6d %6d\n", r.tool, r.run, r.d.Seconds(), total,
			r.counts["LIST"], r.counts["GET"], r.counts["HEAD"], r.counts["PUT"], r.counts["DELETE"])
	}
	fmt.Fprintf(&b, "first-sync time ratio mirror-sync/aws: %.2f\n", results[0].d.Seconds()/results[2].d.Seconds())
	t.Log("\n" + b.String())
	if out := os.Getenv("MIRRORSYNC_BENCH_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

package mirrorsync

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
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

// TestBenchmarkMultipart uploads a few 200 MB files of random bytes through
// the multipart path into versitygw, alternating parts one at a time (as
// before) and part_concurrency at once, several rounds, and reports the
// median and spread of each. It checks that every upload keeps the whole
// file's sha256 in the object's metadata. Set MIRRORSYNC_BENCH=1 to run it
// (scripts/bench-sync.sh); MIRRORSYNC_BENCH_FILES and _ROUNDS change the
// file count (3) and rounds (3).
func TestBenchmarkMultipart(t *testing.T) {
	if os.Getenv("MIRRORSYNC_BENCH") != "1" {
		t.Skip("benchmark: set MIRRORSYNC_BENCH=1 (scripts/bench-sync.sh)")
	}
	files, rounds := envInt("MIRRORSYNC_BENCH_FILES", 3), envInt("MIRRORSYNC_BENCH_ROUNDS", 3)
	const size = 200 << 20
	gw := startVersity(t)
	createBucket(t, gw.Endpoint, testBucket)
	useProfile(t, "mirror-test")
	dir := t.TempDir()
	var paths []string
	var sums []string
	for i := range files {
		p := filepath.Join(dir, fmt.Sprintf("big-%d.bin", i))
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		if _, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(rand.Reader, size)); err != nil {
			t.Fatal(err)
		}
		f.Close()
		paths = append(paths, p)
		sums = append(sums, hex.EncodeToString(h.Sum(nil)))
	}
	// A single connection to S3 carries far less than a host's bandwidth;
	// the throttled endpoint stands for that with a per-connection limit.
	limit := envInt("MIRRORSYNC_BENCH_CONN_MIBS", 40)
	endpoints := map[string]string{"loopback": gw.Endpoint, fmt.Sprintf("%d MiB/s per connection", limit): throttledProxy(t, gw.Endpoint, limit<<20)}
	upload := func(endpoint string, concurrency int) time.Duration {
		cfg := &config{PartConcurrency: concurrency}
		cfg.defaults()
		b, err := newBucket(context.Background(), cfg, &region{Name: testRegion, Bucket: testBucket, Prefix: "bench",
			Profile: "mirror-test", Endpoint: endpoint, PathStyle: true})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for i, p := range paths {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			_, err = b.put(context.Background(), filepath.Base(p), f, size, map[string]string{"sha256": sums[i]}, "", nil)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		d := time.Since(start)
		for i, p := range paths {
			obj, meta, err := b.head(context.Background(), filepath.Base(p))
			if err != nil || obj.Size != size || meta["sha256"] != sums[i] {
				t.Fatalf("after upload: %+v %v %v, want sha256 %s", obj, meta, err, sums[i])
			}
		}
		if got, want := b.Requests.get("UploadPart"), files*int((size+defaultPartSize-1)/defaultPartSize); got != want {
			t.Fatalf("%d parts sent, want %d", got, want)
		}
		return d
	}
	type key struct {
		endpoint    string
		concurrency int
	}
	names := slices.Sorted(maps.Keys(endpoints))
	results := map[key][]time.Duration{}
	for range rounds {
		for _, name := range names {
			for _, c := range []int{1, defaultPartConcurrency} {
				results[key{name, c}] = append(results[key{name, c}], upload(endpoints[name], c))
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d files of 200 MiB, parts of %d MiB, %d rounds alternating, versitygw on loopback, %d CPUs\n",
		files, defaultPartSize>>20, rounds, runtime.NumCPU())
	fmt.Fprintf(&b, "%-26s %14s %8s %8s %8s %8s\n", "endpoint", "parts at once", "median", "min", "max", "MiB/s")
	for _, name := range names {
		for _, c := range []int{1, defaultPartConcurrency} {
			ds := slices.Clone(results[key{name, c}])
			slices.Sort(ds)
			med := ds[len(ds)/2]
			fmt.Fprintf(&b, "%-26s %14d %7.2fs %7.2fs %7.2fs %8.1f\n", name, c, med.Seconds(), ds[0].Seconds(), ds[len(ds)-1].Seconds(),
				float64(files*size>>20)/med.Seconds())
		}
	}
	t.Log("\n" + b.String())
	if out := os.Getenv("MIRRORSYNC_BENCH_OUT_MULTIPART"); out != "" {
		if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// throttledProxy forwards loopback TCP connections to target's host,
// limiting what each connection sends upstream to bytesPerSec. It returns
// the proxy's URL.
func throttledProxy(t *testing.T, target string, bytesPerSec int) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", u.Host)
				if err != nil {
					return
				}
				defer up.Close()
				go func() { _, _ = io.Copy(c, up); c.Close() }()
				buf := make([]byte, 64<<10)
				start, sent := time.Now(), 0
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if _, werr := up.Write(buf[:n]); werr != nil {
							return
						}
						sent += n
						if ahead := time.Duration(float64(sent)/float64(bytesPerSec)*float64(time.Second)) - time.Since(start); ahead > 0 {
							time.Sleep(ahead)
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + l.Addr().String()
}

// envInt reads a positive whole number from the environment, or def.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

package e2e

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// TestDatabaseFrozen stops the database's processes with SIGSTOP under a
// serving replica, connections open, as a hung host does: /readyz must turn
// degraded, the metalink must keep answering from the snapshot, an admin
// request must answer 503 instead of waiting, a new replica must start from
// a snapshot cache or exit at once without one, and after SIGCONT all must
// come back by themselves.
func TestDatabaseFrozen(t *testing.T) {
	c := newCluster(t)
	c.start(t)
	db := c.url()
	mustRun(t, db, "migrate")
	seed(t, db)
	cache := filepath.Join(t.TempDir(), "snapshot-cache")
	r := startReplica(t, "a", db, "--snapshot-cache", cache)
	before := mirrorURLs(t, r)
	if len(before) != 1 || !lists(before[0], "alpha.example") {
		t.Fatalf("before the freeze the metalink lists %q, want alpha alone", before)
	}
	if code := adminStatus(t, r); code != http.StatusUnauthorized {
		t.Fatalf("admin request with an unknown token before the freeze: %d, want 401", code)
	}
	waitCache(t, cache)

	load := startLoad(r)
	defer load.stop()
	watch := watchReadyz(r)
	defer watch.stop()
	time.Sleep(500 * time.Millisecond) // some answers before the freeze

	c.freeze(t)
	frozenAt := time.Now()
	waitReadyz(t, r, "degraded", frozenAt, "the database froze")
	if got := mirrorURLs(t, r); !slices.Equal(got, before) {
		t.Errorf("while the database is frozen the metalink lists %q, want %q", got, before)
	}
	start := time.Now()
	if code := adminStatus(t, r); code != http.StatusServiceUnavailable {
		t.Errorf("admin request while the database is frozen: %d, want 503", code)
	}
	t.Logf("the admin request while the database was frozen answered in %v", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	late := startReplica(t, "late", db, "--snapshot-cache", cacheCopy(t, cache))
	t.Logf("replica late served /healthz %v after its start, with the database frozen", time.Since(start).Round(time.Millisecond))
	if got := mirrorURLs(t, late); !slices.Equal(got, before) {
		t.Errorf("a replica started from the cache while the database is frozen lists %q, want %q", got, before)
	}
	if got := readyz(late); got != "degraded" {
		t.Errorf("/readyz of the replica started from the cache says %q, want degraded", got)
	}
	refusedStart(t, db, "nocache", "no snapshot cache", "--snapshot-cache", filepath.Join(t.TempDir(), "none"))

	c.thaw(t)
	thawedAt, upAt := time.Now(), load.total.Load()
	waitReadyz(t, r, "ok", thawedAt, "the database thawed")
	waitReadyz(t, late, "ok", thawedAt, "the database thawed")
	mustRun(t, db, "report", "--mirror", "beta", "--directory", fixtureDir)
	for _, rep := range []*replica{r, late} {
		if d, ok := waitMetalink(rep, "beta.example", true, thawedAt, 30*time.Second); !ok {
			t.Errorf("replica %s did not pick up a change made after the thaw", rep.name)
		} else {
			t.Logf("replica %s showed the change made after the thaw %v after the thaw", rep.name, d.Round(time.Millisecond))
		}
	}

	load.stop()
	watch.stop()
	t.Logf("metalink requests: %d in all, %d before the thaw, %d failed", load.total.Load(), upAt, load.failed.Load())
	t.Logf("/readyz states seen, in order: %s", strings.Join(watch.states(), " → "))
	if n := load.failed.Load(); n != 0 {
		t.Errorf("%d of %d metalink requests failed; the first: %s", n, load.total.Load(), load.firstFailure())
	}
	if got := watch.states(); !slices.Equal(got, []string{"ok", "degraded", "ok"}) {
		t.Errorf("/readyz went through %q, want ok, degraded, ok", got)
	}
}

// TestReplicaStartsDuringOutage starts replicas while the database is
// stopped: one with the snapshot cache another replica wrote serves the
// cached answers and switches to live data when the database is back; one
// without a cache, or with a damaged one, exits at once saying why.
func TestReplicaStartsDuringOutage(t *testing.T) {
	c := newCluster(t)
	c.start(t)
	db := c.url()
	mustRun(t, db, "migrate")
	seed(t, db)
	cache := filepath.Join(t.TempDir(), "snapshot-cache")
	a := startReplica(t, "a", db, "--snapshot-cache", cache)
	before := mirrorURLs(t, a)
	waitCache(t, cache)
	c.stop(t, "fast")

	refusedStart(t, db, "nocache", "no snapshot cache", "--snapshot-cache", filepath.Join(t.TempDir(), "none"))
	damaged := cacheCopy(t, cache)
	b, err := os.ReadFile(damaged)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-3] ^= 0x01 // one bit of the dataset, past the header line
	if err := os.WriteFile(damaged, b, 0o600); err != nil {
		t.Fatal(err)
	}
	refusedStart(t, db, "damaged", "checksum mismatch", "--snapshot-cache", damaged)

	start := time.Now()
	rb := startReplica(t, "b", db, "--snapshot-cache", cacheCopy(t, cache))
	t.Logf("replica b served /healthz %v after its start, with the database down", time.Since(start).Round(time.Millisecond))
	if got := mirrorURLs(t, rb); !slices.Equal(got, before) {
		t.Errorf("replica b started from the cache lists %q, want %q as before the outage", got, before)
	}
	code, body, err := httpGet(rb.url + "/readyz")
	if err != nil || code != 200 || !strings.Contains(body, `"degraded"`) || !strings.Contains(body, "snapshot cache") {
		t.Errorf("/readyz of replica b: %s, want degraded because it serves the snapshot cache", describe(code, body, err))
	}

	c.start(t)
	upAt := time.Now()
	waitReadyz(t, rb, "ok", upAt, "the database came back")
	mustRun(t, db, "report", "--mirror", "beta", "--directory", fixtureDir)
	if d, ok := waitMetalink(rb, "beta.example", true, upAt, 30*time.Second); !ok {
		t.Error("replica b did not switch to live data: it does not show a change made after the database came back")
	} else {
		t.Logf("replica b showed the change made after the database came back %v after it came back", d.Round(time.Millisecond))
	}
}

// refusedStart starts a replica that must exit with an error whose log
// says why; the deadline only turns a hang into a failure.
func refusedStart(t *testing.T, db, name, why string, extra ...string) {
	t.Helper()
	start := time.Now()
	r, p := spawnReplica(t, name, db, extra...)
	select {
	case <-p.Exited():
	case <-time.After(60 * time.Second):
		t.Fatalf("replica %s still runs %v after its start; want it to exit: %s", name, time.Since(start), why)
	}
	var exit *exec.ExitError
	if err := p.Err(); !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Errorf("replica %s ended with %v, want a non-zero exit", name, err)
	}
	log, _ := os.ReadFile(r.log)
	if !strings.Contains(string(log), why) {
		t.Errorf("replica %s's log does not say %q:\n%s", name, why, log)
	}
	t.Logf("replica %s exited %v after its start: %s", name, time.Since(start).Round(time.Millisecond), lastLine(log))
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// adminStatus asks the admin API for the mirrors with a token that does not
// exist, which the server checks in the database. The client's deadline,
// well above the server's, only turns a hang into a failure.
func adminStatus(t *testing.T, r *replica) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, r.url+"/api/v1/mirrors", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer not-a-token")
	resp, err := (&http.Client{Timeout: 45 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("admin request: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitCache waits until a replica has written the snapshot cache.
func waitCache(t *testing.T, path string) {
	t.Helper()
	testpeer.MustEventually(t, 20*time.Second, "the snapshot cache to be written", func() bool {
		fi, err := os.Stat(path)
		return err == nil && fi.Size() > 0
	})
}

// cacheCopy copies a snapshot cache into a new temporary directory, so
// that a replica starts from it without sharing the file, and returns the
// copy's path.
func cacheCopy(t *testing.T, path string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := copyFile(path, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// freeze stops the cluster's processes with SIGSTOP: the postmaster first,
// so that it forks no more, then its children. Only the pids of this
// cluster are signalled: the postmaster's from its postmaster.pid, the
// others found in /proc as its children. thaw is registered to run when t
// ends, before the cluster is stopped.
func (c *cluster) freeze(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	postmaster, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	c.frozen = []int{postmaster}
	t.Cleanup(func() { c.thaw(t) })
	if err := syscall.Kill(postmaster, syscall.SIGSTOP); err != nil {
		t.Fatalf("SIGSTOP postmaster %d: %v", postmaster, err)
	}
	children := childrenOf(t, postmaster)
	for _, pid := range children {
		if err := syscall.Kill(pid, syscall.SIGSTOP); err == nil {
			c.frozen = append(c.frozen, pid)
		}
	}
	t.Logf("froze the postmaster (pid %d) and %d of its children", postmaster, len(c.frozen)-1)
}

// thaw continues the processes freeze stopped.
func (c *cluster) thaw(t *testing.T) {
	for _, pid := range slices.Backward(c.frozen) {
		if err := syscall.Kill(pid, syscall.SIGCONT); err != nil && !errors.Is(err, syscall.ESRCH) {
			t.Errorf("SIGCONT %d: %v", pid, err)
		}
	}
	c.frozen = nil
}

// childrenOf returns the pids whose parent is ppid.
func childrenOf(t *testing.T, ppid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // ended meanwhile
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
		if f := strings.Fields(rest); len(f) > 1 && f[1] == strconv.Itoa(ppid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

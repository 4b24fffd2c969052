package mirrorsync

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// TestSyncFirstThenNoop publishes a repository from an HTTP source, checks
// the client view and the report, then reruns: 0 PUTs, 0 DELETEs, no report.
func TestSyncFirstThenNoop(t *testing.T) {
	e := newSyncEnv(t)
	makeRepo(t, smallSet(t), e.root, testDir, []string{"alpha-1-1", "beta-1-1", "gamma-1-1"})
	src := httptest.NewServer(http.FileServer(http.Dir(e.root)))
	defer src.Close()
	e.source = src.URL
	e.extra = "directories: [" + testDir + "]"

	sum, counts := e.mustSync(t0)
	live, err := e.clientView(testDir)
	if err != nil || live != e.masterRepomd(testDir) {
		t.Fatalf("client view after first sync: live %q err %v", live, err)
	}
	// 3 packages, primary/filelists/other, repomd.xml, and the state twice.
	if sum.Uploaded != 7 || counts["PUT"] != 9 || counts["DELETE"] != 0 {
		t.Errorf("first sync: uploaded %d, requests %v", sum.Uploaded, counts)
	}
	if got := e.server.reportCount(); got != 1 {
		t.Errorf("reports after first sync = %d, want 1", got)
	}
	t.Logf("first sync requests: %v (sdk: %s)", counts, sum.Requests)

	sum, counts = e.mustSync(t0.Add(time.Hour))
	if counts["PUT"] != 0 || counts["DELETE"] != 0 || counts["POST"] != 0 || sum.Uploaded != 0 || sum.Skipped != 7 {
		t.Errorf("no-op resync: uploaded %d skipped %d, requests %v", sum.Uploaded, sum.Skipped, counts)
	}
	if got := e.server.reportCount(); got != 1 {
		t.Errorf("reports after no-op = %d, want 1", got)
	}
	t.Logf("no-op resync requests: %v", counts)
}

// TestSyncChangedRepoAndCollect replaces a package, checks that the old
// files stay through the grace period and go after it.
func TestSyncChangedRepoAndCollect(t *testing.T) {
	e := newSyncEnv(t)
	set := smallSet(t)
	makeRepo(t, set, e.root, testDir, []string{"alpha-1-1", "beta-1-1", "gamma-1-1"})
	e.mustSync(t0)
	v1 := e.keys()

	makeRepo(t, set, e.root, testDir, []string{"alpha-1-1", "beta-1-1", "gamma-2-1", "delta-2-1"})
	sum, counts := e.mustSync(t0.Add(time.Hour))
	if live, err := e.clientView(testDir); err != nil || live != e.masterRepomd(testDir) {
		t.Fatalf("client view after change: live %q err %v", live, err)
	}
	// gamma-2, delta-2, three metadata files, repomd.xml.
	if sum.Uploaded != 6 || sum.Deleted != 0 || counts["DELETE"] != 0 {
		t.Errorf("changed repo: uploaded %d deleted %d requests %v", sum.Uploaded, sum.Deleted, counts)
	}
	for k := range v1 {
		if !e.keys()[k] {
			t.Errorf("%s was deleted within the grace period", k)
		}
	}

	sum, _ = e.mustSync(t0.Add(97 * time.Hour))
	keys := e.keys()
	// gamma-1 and the three old metadata files.
	if sum.Deleted != 4 || keys[testDir+"/Packages/gamma-1-1.noarch.rpm"] {
		t.Errorf("after grace: deleted %d, gamma-1 present %v", sum.Deleted, keys[testDir+"/Packages/gamma-1-1.noarch.rpm"])
	}
	if live, err := e.clientView(testDir); err != nil || live == "" {
		t.Fatalf("client view after collection: live %q err %v", live, err)
	}
	_, counts = e.mustSync(t0.Add(98 * time.Hour))
	if counts["PUT"] != 0 || counts["DELETE"] != 0 {
		t.Errorf("no-op after collection: %v", counts)
	}
}

// TestSyncWithdrawsBeforeOverwrite uses simple metadata file names, so a
// changed repository rewrites files the live repomd references: the live
// repomd must go first.
func TestSyncWithdrawsBeforeOverwrite(t *testing.T) {
	e := newSyncEnv(t)
	set := smallSet(t)
	makeRepo(t, set, e.root, testDir, []string{"alpha-1-1"}, "--simple-md-filenames")
	e.mustSync(t0)
	makeRepo(t, set, e.root, testDir, []string{"alpha-1-1", "beta-1-1"}, "--simple-md-filenames")
	sum, _ := e.mustSync(t0.Add(time.Hour))
	if sum.Withdrawn != 1 {
		t.Errorf("withdrawn = %d, want 1", sum.Withdrawn)
	}
	if live, err := e.clientView(testDir); err != nil || live != e.masterRepomd(testDir) {
		t.Fatalf("client view: live %q err %v", live, err)
	}
}

// TestSyncPagination publishes more than 1,000 objects, so listing pages.
func TestSyncPagination(t *testing.T) {
	e := newSyncEnv(t)
	names := make([]string, 1100)
	for i := range names {
		names[i] = fmt.Sprintf("p%04d-1-1", i)
	}
	makeRepo(t, manySet(t), e.root, testDir, names)
	sum, _ := e.mustSync(t0)
	if sum.Uploaded != 1104 {
		t.Errorf("uploaded %d, want 1104", sum.Uploaded)
	}
	sum, counts := e.mustSync(t0.Add(time.Hour))
	if counts["PUT"] != 0 || counts["HEAD"] != 0 || counts["LIST"] < 2 || sum.Skipped != 1104 {
		t.Errorf("no-op over 1,100 objects: skipped %d requests %v", sum.Skipped, counts)
	}
	if _, err := e.clientView(testDir); err != nil {
		t.Fatal(err)
	}
}

// TestSyncRetriesThrottlingAnd5xx fails a third of the requests once with
// 503 SlowDown or 500, holds two past the request timeout, and expects a
// complete, consistent publication.
func TestSyncRetriesThrottlingAnd5xx(t *testing.T) {
	e := newSyncEnv(t)
	e.extra = "request_timeout: 300ms"
	makeRepo(t, smallSet(t), e.root, testDir, []string{"alpha-1-1", "beta-1-1", "gamma-1-1"})
	var n, injected atomic.Int64
	var mu sync.Mutex
	held := map[string]int{} // request → times seen, for those held past the timeout
	e.proxy.set(func(kind string, r *http.Request) int {
		i := n.Add(1)
		id := r.Method + " " + r.URL.Path
		mu.Lock()
		if _, ok := held[id]; ok {
			held[id]++
		}
		mu.Unlock()
		switch {
		case i == 4 || i == 8:
			mu.Lock()
			held[id] = 1
			mu.Unlock()
			injected.Add(1)
			time.Sleep(time.Second)
			return 0
		case i%3 == 0:
			injected.Add(1)
			return http.StatusServiceUnavailable
		case i%7 == 0:
			injected.Add(1)
			return http.StatusInternalServerError
		}
		return 0
	}, nil)
	sum, _ := e.mustSync(t0)
	if injected.Load() == 0 || sum.Uploaded != 7 {
		t.Errorf("injected %d faults, uploaded %d", injected.Load(), sum.Uploaded)
	}
	if live, err := e.clientView(testDir); err != nil || live != e.masterRepomd(testDir) {
		t.Fatalf("client view: live %q err %v", live, err)
	}
	mu.Lock()
	defer mu.Unlock()
	for id, seen := range held {
		if seen < 2 {
			t.Errorf("%s was held past the request timeout but not retried", id)
		}
	}
}

package mirrorsync

import (
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// warnUnscanned is what mirror-sync logs before publishing a repomd.xml the
// server does not list.
const warnUnscanned = "the server does not know the repomd.xml about to be published; run `metalinkd scan` before mirror-sync"

// TestWarnsBeforePublishingUnscannedRepomd runs the real server: a sync of
// a scanned tree warns of nothing; a sync of a changed tree the server has
// not scanned warns, naming the directory, and still publishes it (only the
// refused report makes it exit 1); after a scan, no warning and exit 0.
func TestWarnsBeforePublishingUnscannedRepomd(t *testing.T) {
	w := newServerWorld(t)
	code, out, _ := w.mirrorSync(w.report, "sync")
	if code != exitOK || strings.Contains(out, warnUnscanned) {
		t.Fatalf("sync of the scanned tree: exit %d\n%s", code, out)
	}
	makeRepo(t, smallSet(t), w.e.root, testDir, []string{"alpha-1-1", "gamma-1-1"})
	want := w.e.masterRepomd(testDir)
	code, out, _ = w.mirrorSync(w.report, "sync")
	if code != exitPartial || !strings.Contains(out, warnUnscanned) || !strings.Contains(out, `"directory":"`+testDir+`","sha256":"`+want+`"`) {
		t.Fatalf("sync before the scan: exit %d, want %d and the warning\n%s", code, exitPartial, out)
	}
	if strings.Count(out, warnUnscanned) != 1 {
		t.Errorf("warned %d times, want once (only %s changed)\n%s", strings.Count(out, warnUnscanned), testDir, out)
	}
	if live, err := w.e.clientView(testDir); err != nil || live != want {
		t.Fatalf("the warning stopped the publication: live %q, %v", live, err)
	}
	makeRepo(t, smallSet(t), w.e.root, testDir, []string{"alpha-1-1", "delta-2-1"})
	scanned := w.e.masterRepomd(testDir)
	w.srv.must("scan", "--root", w.e.root)
	// The serving process picks the scan up from the store.
	testpeer.MustEventually(t, 30*time.Second, "the server to serve the scanned repomd", func() bool {
		_, sha := w.srv.metalink("fedora-41", testRegion)
		return sha == scanned
	})
	code, out, _ = w.mirrorSync(w.report, "sync")
	if code != exitOK || strings.Contains(out, warnUnscanned) {
		t.Errorf("scan, then sync: exit %d, want 0 and no warning\n%s", code, out)
	}
}

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// repomdSuffix ends every repomd.xml path a mirror serves.
const repomdSuffix = "/repodata/repomd.xml"

func ptr[T any](v T) *T { return &v }

// TestDNF runs dnf 4 against metalinkd through the metalink URL of a Fedora
// repo file, with and without the location variable.
func TestDNF(t *testing.T) {
	requireTools(t, "dnf", "rpmbuild", "createrepo_c")
	t.Run("location us-east-1 reads repomd.xml from the regional mirror", testDNFRegional)
	t.Run("location US-EAST-1 in upper case reads it from the regional mirror too", testDNFRegionalUpperCase)
	t.Run("no vars file sends $location verbatim and gets the ordinary list", testDNFNoLocation)
	t.Run("regional mirror down, dnf uses the next", testDNFRegionalDown)
	t.Run("repomd.xml with another checksum is rejected", testDNFWrongRepomd)
	t.Run("stale mirror accepted through mm0:alternates", testDNFAlternate)
	t.Run("install --downloadonly fetches a package", testDNFDownload)
	t.Run("every mirror down, dnf fails", testDNFAllDown)
}

func testDNFRegional(t *testing.T) {
	w := newWorld(t)
	res := newDNFRoot(t, w.dnfMetalink(), ptr(regionalLocation)).run(t, "makecache")
	res.requireSuccess(t)
	if got := w.proxy.seen(); len(linesWith(strings.Join(got, "\n"), "location="+regionalLocation)) == 0 {
		t.Errorf("no metalink request carried location=%s; requests: %q", regionalLocation, got)
	}
	if got := w.regional.served(repomdSuffix); got != 1 {
		t.Errorf("regional mirror served repomd.xml %d times, want 1", got)
	}
	if got := w.publicServed(repomdSuffix); got != 0 {
		t.Errorf("public mirrors served repomd.xml %d times, want 0", got)
	}
}

// testDNFRegionalUpperCase writes the vars file in upper case, as an
// admin may: the location is matched case-insensitively.
func testDNFRegionalUpperCase(t *testing.T) {
	w := newWorld(t)
	upper := strings.ToUpper(regionalLocation)
	res := newDNFRoot(t, w.dnfMetalink(), ptr(upper)).run(t, "makecache")
	res.requireSuccess(t)
	if got := w.proxy.seen(); len(linesWith(strings.Join(got, "\n"), "location="+upper)) == 0 {
		t.Errorf("no metalink request carried location=%s; requests: %q", upper, got)
	}
	if got := w.regional.served(repomdSuffix); got != 1 {
		t.Errorf("regional mirror served repomd.xml %d times, want 1", got)
	}
	if got := w.publicServed(repomdSuffix); got != 0 {
		t.Errorf("public mirrors served repomd.xml %d times, want 0", got)
	}
}

func testDNFNoLocation(t *testing.T) {
	w := newWorld(t)
	res := newDNFRoot(t, w.dnfMetalink(), nil).run(t, "makecache")
	res.requireSuccess(t)
	verbatim := "location=$location"
	if got := w.proxy.seen(); len(linesWith(strings.Join(got, "\n"), "/metalink?", verbatim)) == 0 {
		t.Errorf("no metalink request carried %s verbatim; requests: %q", verbatim, got)
	}
	// Request lines reach the log in batches, at least every 200 ms.
	var lines []string
	testpeer.Eventually(5*time.Second, func() bool {
		lines = linesWith(w.md.serverLog(t), "/metalink", "$location")
		return len(lines) > 0
	})
	if len(lines) == 0 {
		t.Errorf("metalinkd logged no /metalink request with the literal $location")
	} else {
		t.Logf("metalinkd: %s", lines[0])
	}
	if got := w.regional.requests(); got != 0 {
		t.Errorf("regional mirror received %d requests, want none:\n%s", got, w.regional.accessLog())
	}
	if got := w.publicServed(repomdSuffix); got != 1 {
		t.Errorf("public mirrors served repomd.xml %d times, want 1", got)
	}
}

func testDNFRegionalDown(t *testing.T) {
	w := newWorld(t)
	w.regional.stop()
	res := newDNFRoot(t, w.dnfMetalink(), ptr(regionalLocation)).run(t, "makecache")
	res.requireSuccess(t)
	host := strings.TrimPrefix(w.regional.srv.URL, "http://")
	if lines := res.librepoLines("Error", host); len(lines) == 0 {
		t.Errorf("librepo logged no error for the stopped regional mirror %s", host)
	} else {
		t.Logf("librepo: %s", lines[0])
	}
	if got := w.publicServed(repomdSuffix); got != 1 {
		t.Errorf("public mirrors served repomd.xml %d times, want 1", got)
	}
}

func testDNFWrongRepomd(t *testing.T) {
	w := newWorld(t)
	w.regional.setRoot(w.fx.otherTree)
	res := newDNFRoot(t, w.dnfMetalink(), ptr(regionalLocation)).run(t, "makecache")
	res.requireSuccess(t)
	if got := w.regional.served(repomdSuffix); got != 1 {
		t.Errorf("regional mirror served repomd.xml %d times, want 1 (tried first)", got)
	}
	// librepo's log line has no URL; dnf's own message names the mirror.
	if lines := linesWith(res.output, "checksum doesn't match", w.regional.URL()); len(lines) == 0 {
		t.Errorf("dnf reported no checksum mismatch for %s:\n%s", w.regional.URL(), res.output)
	} else {
		t.Logf("dnf: %s", lines[0])
	}
	wrong := repomdDigests(t, w.fx.otherTree).sha512
	if lines := res.librepoLines("checksum doesn't match", "Calculated: "+wrong); len(lines) == 0 {
		t.Error("librepo logged no checksum mismatch for the other createrepo_c run's repomd.xml")
	} else {
		t.Logf("librepo: %s", lines[0])
	}
	right := repomdDigests(t, w.master).sha512
	if len(res.librepoLines("Checksum (sha512) "+right+" is OK")) == 0 {
		t.Error("librepo never accepted the current repomd.xml")
	}
	if got := w.publicServed(repomdSuffix); got != 1 {
		t.Errorf("public mirrors served repomd.xml %d times, want 1", got)
	}
}

// testDNFAlternate regenerates and rescans the master tree while the
// regional mirror keeps the previous repomd.xml, then leaves it the only
// mirror reachable.
func testDNFAlternate(t *testing.T) {
	w := newWorld(t)
	stale := filepath.Join(w.dir, "stale")
	if err := copyTree(w.master, stale); err != nil {
		t.Fatal(err)
	}
	w.regional.setRoot(stale)
	old := repomdDigests(t, w.master)
	if err := w.fx.addPackage(w.master, extraPackage); err != nil {
		t.Fatal(err)
	}
	current := repomdDigests(t, w.master)
	w.md.run(t, "scan", "--root", w.master)
	body := w.md.waitForMetalink(t, metalinkQuery+"&location="+regionalLocation, "the rescanned repomd.xml",
		func(body string) bool { return strings.Contains(body, current.sha256) })
	if !strings.Contains(body, "<mm0:alternate>") || !strings.Contains(body, old.sha256) {
		t.Fatalf("metalink lists no alternate with the previous sha256 %s:\n%s", old.sha256, body)
	}
	if !strings.Contains(body, w.regional.URL()) {
		t.Fatalf("metalink no longer lists the regional mirror, which reported the alternate:\n%s", body)
	}
	for _, m := range w.public {
		m.stop()
	}
	res := newDNFRoot(t, w.dnfMetalink(), ptr(regionalLocation)).run(t, "makecache")
	res.requireSuccess(t)
	if got := w.regional.served(repomdSuffix); got != 1 {
		t.Errorf("stale regional mirror served repomd.xml %d times, want 1", got)
	}
	if len(res.librepoLines("Expected alternate checksum for repomd.xml", old.sha512)) == 0 {
		t.Error("librepo did not take the previous repomd.xml as an alternate")
	}
	if lines := res.librepoLines("Checksum (sha512) " + old.sha512 + " is OK"); len(lines) == 0 {
		t.Error("librepo did not accept the stale mirror's repomd.xml")
	} else {
		t.Logf("librepo: %s", lines[0])
	}
}

func testDNFDownload(t *testing.T) {
	w := newWorld(t)
	root := newDNFRoot(t, w.dnfMetalink(), ptr(regionalLocation))
	pkg := fixturePackages[1] + "-1.0-1.noarch.rpm"
	res := root.run(t, "install", "--downloadonly", fixturePackages[1])
	res.requireSuccess(t)
	if got := w.regional.served("/Packages/" + pkg); got != 1 {
		t.Errorf("regional mirror served %s %d times, want 1", pkg, got)
	}
	found, err := filepath.Glob(filepath.Join(root.dir, "var/cache/dnf", dnfRepoID+"-*", "packages", pkg))
	if err != nil || len(found) != 1 {
		t.Fatalf("downloaded %s not in the installroot's cache (%v, %v)", pkg, found, err)
	}
	if _, err := os.Stat(found[0]); err != nil {
		t.Error(err)
	}
}

// testDNFAllDown guards the other scenarios against passing vacuously: with
// skip_if_unavailable=False taken from the installroot's dnf.conf, a
// repository that cannot be fetched fails dnf.
func testDNFAllDown(t *testing.T) {
	w := newWorld(t)
	w.regional.stop()
	for _, m := range w.public {
		m.stop()
	}
	res := newDNFRoot(t, w.dnfMetalink(), ptr(regionalLocation)).run(t, "makecache")
	if res.err == nil {
		t.Fatalf("dnf succeeded with every mirror down:\n%s", res.output)
	}
	if lines := res.librepoLines("All mirrors were tried"); len(lines) == 0 {
		t.Errorf("librepo did not report trying every mirror:\n%s", res.librepoLog)
	} else {
		t.Logf("librepo: %s", lines[0])
	}
}

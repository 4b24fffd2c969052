package mirrorsync

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// refused: before any report the server lists the public mirror and not
// the bucket. A sync with another mirror's token publishes the bucket, but
// the server refuses its report (403) and mirror-sync exits 1; requests
// without a valid token or without the admin scope are refused too, and
// none of them changes what the server holds or lists.
func (w *serverWorld) refused(t *testing.T) {
	t.Helper()
	for _, repo := range []string{"fedora-41", "fedora-40"} {
		if urls, _ := w.srv.metalink(repo, testRegion); !w.noBucket(urls) {
			t.Fatalf("%s before any report: %v, want the public mirror and not the bucket", repo, urls)
		}
	}
	code, out, s3 := w.mirrorSync(w.other, "sync")
	if code != exitPartial || !strings.Contains(out, "HTTP 403: this token may not report for mirror") {
		t.Fatalf("sync with the token of %s: exit %d, want %d and the server's 403\n%s", publicMirror, code, exitPartial, out)
	}
	if live, err := w.e.clientView(testDir); err != nil || live != w.e.masterRepomd(testDir) {
		t.Fatalf("a refused report must not stop the publication: live %q, %v", live, err)
	}
	t.Logf("sync with the token of %s: exit %d (report refused with 403), S3 requests %v", publicMirror, code, s3)
	report := map[string]string{"directory": testDir, "sha256": w.e.masterRepomd(testDir)}
	for _, r := range []struct {
		what, path, token string
		body              any
		want              int
	}{
		{"report without a token", "/mirrors/" + testMirror + "/report", "", report, http.StatusUnauthorized},
		{"report with an unknown token", "/mirrors/" + testMirror + "/report", "not-a-token", report, http.StatusUnauthorized},
		{"forget with another mirror's token", "/mirrors/" + testMirror + "/forget", w.other, map[string]string{"prefix": "releases/"}, http.StatusForbidden},
		{"disable with a report token", "/mirrors/" + publicMirror + "/disable", w.report, nil, http.StatusForbidden},
	} {
		code, body := w.srv.api(http.MethodPost, "/api/v1"+r.path, r.token, r.body)
		if code != r.want {
			t.Errorf("%s: HTTP %d, want %d\n%s", r.what, code, r.want, body)
		}
		t.Logf("%s: HTTP %d %s", r.what, code, strings.TrimSpace(body))
	}
	if enabled, f := w.mirrorState(t, testMirror); !enabled || len(f) != 0 {
		t.Errorf("after refused requests, %s: enabled %v, freshness %v", testMirror, enabled, f)
	}
	if enabled, _ := w.mirrorState(t, publicMirror); !enabled {
		t.Errorf("a report token disabled %s", publicMirror)
	}
	urls, _ := w.srv.metalink("fedora-41", testRegion)
	if !w.noBucket(urls) {
		t.Fatalf("fedora-41 after refused requests: %v", urls)
	}
	t.Logf("fedora-41 at %s before any accepted report: %v", testRegion, urls)
}

// accepted: a sync with the bucket's own token has nothing left to upload
// but retries the refused reports; the server accepts them and lists the
// bucket first for its location, for both releases.
func (w *serverWorld) accepted(t *testing.T) {
	t.Helper()
	code, out, s3 := w.mirrorSync(w.report, "sync")
	if code != exitOK {
		t.Fatalf("sync with the bucket's token: exit %d\n%s", code, out)
	}
	t.Logf("sync with the bucket's token: exit 0, S3 requests %v", s3)
	for _, repo := range []string{"fedora-41", "fedora-40"} {
		urls, ok := w.srv.waitMetalink(repo, testRegion, w.bucketFirst)
		if !ok {
			t.Fatalf("%s after the report: %v, want the bucket first", repo, urls)
		}
		t.Logf("%s at %s after the report: %v", repo, testRegion, urls)
	}
	want := map[string]string{testDir: w.e.masterRepomd(testDir), dir40: w.e.masterRepomd(dir40)}
	if _, got := w.mirrorState(t, testMirror); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("freshness of %s = %v, want %v", testMirror, got, want)
	}
}

// republished: a new version of release 41, scanned with its previous
// repomd's alternate expired, unlists the bucket (it still serves the old
// one); a resync publishes and reports the new repomd, and the server lists
// the bucket first again.
func (w *serverWorld) republished(t *testing.T) {
	t.Helper()
	makeRepo(t, smallSet(t), w.e.root, testDir, []string{"alpha-1-1", "beta-1-1"})
	repomd := w.e.masterRepomd(testDir)
	w.srv.must("scan", "--root", w.e.root)
	w.srv.must("expire", "--directory", testDir)
	urls, ok := w.srv.waitMetalink("fedora-41", testRegion, w.noBucket)
	if _, sha := w.srv.metalink("fedora-41", testRegion); !ok || sha != repomd {
		t.Fatalf("fedora-41 after the rescan: %v with repomd %s, want no bucket and repomd %s", urls, sha, repomd)
	}
	t.Logf("fedora-41 after the rescan, before the resync: %v", urls)
	code, out, s3 := w.mirrorSync(w.report, "sync")
	if code != exitOK {
		t.Fatalf("resync: exit %d\n%s", code, out)
	}
	if urls, ok = w.srv.waitMetalink("fedora-41", testRegion, w.bucketFirst); !ok {
		t.Fatalf("fedora-41 after the resync: %v, want the bucket first", urls)
	}
	if _, f := w.mirrorState(t, testMirror); f[testDir] != repomd {
		t.Errorf("after the resync the server holds %s for %s, want %s", f[testDir], testDir, repomd)
	}
	t.Logf("resync: exit 0, S3 requests %v; fedora-41 now: %v", s3, urls)
}

// retired: release 40 leaves the master tree. Retiring it with another
// mirror's token is refused and deletes nothing; with the bucket's token
// the server forgets the bucket for it (its metalink no longer lists the
// bucket) and its objects and sync state leave the bucket, while release
// 41 stays published and listed first.
func (w *serverWorld) retired(t *testing.T) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(w.e.root, "releases", "40")); err != nil {
		t.Fatal(err)
	}
	code, out, _ := w.mirrorSync(w.other, "retire", "--prefix", "releases/40/")
	if code != exitPartial || !strings.Contains(out, "HTTP 403: this token may not report for mirror") {
		t.Fatalf("retire with the token of %s: exit %d, want %d and the server's 403\n%s", publicMirror, code, exitPartial, out)
	}
	if _, f := w.mirrorState(t, testMirror); !w.e.keys()[repomdPath(dir40)] || f[dir40] == "" {
		t.Fatalf("a refused retire changed something: freshness %v", f)
	}
	code, out, s3 := w.mirrorSync(w.report, "retire", "--prefix", "releases/40/")
	if code != exitOK || !strings.Contains(out, "us-east-1 releases/40/: server forgot 1 directories; deleted 6 objects") {
		t.Fatalf("retire: exit %d\n%s", code, out)
	}
	urls, ok := w.srv.waitMetalink("fedora-40", testRegion, w.noBucket)
	if !ok {
		t.Fatalf("fedora-40 after retiring: %v, want no bucket", urls)
	}
	t.Logf("retire: exit 0, %s; S3 requests %v; fedora-40 now: %v", summaryLine(out, "server forgot"), s3, urls)
	for k := range w.e.keys() {
		if strings.HasPrefix(k, "releases/40/") || strings.HasPrefix(k, stateDir+"/releases/40/") {
			t.Errorf("%s survived retirement", k)
		}
	}
	if _, f := w.mirrorState(t, testMirror); f[dir40] != "" || f[testDir] == "" {
		t.Errorf("freshness after retiring release 40: %v", f)
	}
	if urls, _ := w.srv.metalink("fedora-41", testRegion); !w.bucketFirst(urls) {
		t.Errorf("retiring release 40 unlisted the bucket for release 41: %v", urls)
	}
}

// dnfDownloads has the real dnf, on a guest whose location variable names
// the region, follow the metalink and download a package: the gateway's
// own log shows repomd.xml and the package served from the bucket, and the
// public mirror listed after it is asked for nothing.
func (w *serverWorld) dnfDownloads(t *testing.T) {
	testpeer.Require(t, "dnf", "see scripts/test.sh")
	w.e.provisionLoopback(t)
	repo := fmt.Sprintf("[fedora]\nname=fedora\nmetalink=%s/metalink?repo=fedora-$releasever&arch=$basearch&location=$location\nenabled=1\ngpgcheck=0\n", w.srv.URL)
	root := dnfRoot(t, repo, map[string]string{"location": testRegion})
	from := fileSize(t, w.e.gw.Log)
	runDNF(t, root, "install", "--downloadonly", "alpha")
	served := gatewayRequests(t, w.e.gw.Log, from)
	key := "GET /" + testBucket + "/" + testPrefix + "/" + testDir + "/"
	for _, p := range []string{"repodata/repomd.xml", "Packages/alpha-1-1.noarch.rpm"} {
		if served[key+p] != "200" {
			t.Errorf("the gateway did not serve %s to dnf; it served %v", p, served)
		}
	}
	if got := w.public.requests(); len(got) != 0 {
		t.Errorf("dnf asked the public mirror for %v", got)
	}
	// librepo's own log: the metalink was asked for with the location dnf
	// substituted, and the bucket's repomd.xml matched the metalink's hash.
	lr, err := os.ReadFile(filepath.Join(root, "var/log/dnf.librepo.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Downloading: " + w.srv.URL + "/metalink?repo=fedora-41&arch=x86_64&location=" + testRegion + "\n",
		"Downloading: " + w.bucketURL + "/" + testDir + "/repodata/repomd.xml\n"} {
		if !strings.Contains(string(lr), want) {
			t.Errorf("dnf.librepo.log lacks %q", want)
		}
	}
	if !regexp.MustCompile(`Checksum \(sha512\) [0-9a-f]{128} is OK`).Match(lr) {
		t.Error("dnf.librepo.log shows no repomd.xml matching the metalink's sha512")
	}
	if rpms, _ := filepath.Glob(filepath.Join(root, "var/cache/dnf/*/packages/alpha-1-1.noarch.rpm")); len(rpms) != 1 {
		t.Errorf("dnf did not keep the downloaded package: %v", rpms)
	}
	t.Logf("dnf install --downloadonly alpha: the gateway served %v; the public mirror nothing", served)
}

// summaryLine returns the first line of out containing s.
func summaryLine(out, s string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, s) {
			return line
		}
	}
	return ""
}

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCrawlDNF: three public mirrors that nobody reports for, one fresh,
// one serving the repomd.xml the master had before (no longer accepted),
// one dead but flagged always up to date. Before a crawl only the dead one
// is listed; the crawl (--disable-after 1) takes it out of answers, and
// the metalink then lists the fresh one alone: real dnf in an installroot
// reads repomd.xml from it, never asking the stale or the dead one.
func TestCrawlDNF(t *testing.T) {
	requireTools(t, "dnf", "rpmbuild", "createrepo_c")
	fx := getFixture(t)
	dir := t.TempDir()
	fresh := startMirror(t, "fresh", fx.tree)
	stale := startMirror(t, "stale", fx.otherTree)
	dead := startMirror(t, "dead", fx.tree)
	dead.stop()

	var b strings.Builder
	b.WriteString("mirrors:\n")
	for _, m := range []*mirror{fresh, stale, dead} {
		fmt.Fprintf(&b, "  - name: %s\n    country: DE\n    bandwidth: 100\n    urls: [%q]\n    always_up_to_date: %v\n", m.name, m.URL(), m == dead)
	}
	mf := filepath.Join(dir, "mirrors.yaml")
	if err := os.WriteFile(mf, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	md := newMetalinkd(t, dir)
	md.run(t, "import", mf)
	// The master first had otherTree's repomd.xml, then tree's; expiring
	// the alternate leaves the stale mirror with one nobody accepts.
	md.run(t, "scan", "--root", fx.otherTree)
	md.run(t, "scan", "--root", fx.tree)
	md.run(t, "expire", "--directory", repoDir)
	md.serve(t)
	const query = "repo=fedora-41&arch=x86_64"
	if body := md.metalink(t, query); strings.Count(body, "<url") != 1 || !strings.Contains(body, dead.URL()) {
		t.Fatalf("before any crawl the metalink does not list the dead mirror alone:\n%s", body)
	}

	cmd := exec.Command(md.bin, "crawl", "--data-dir", md.dataDir, "--timeout", "5s", "--deadline", "30s", "--disable-after", "1")
	cmd.Env = append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("metalinkd crawl: %v\n%s", err, out)
	}
	t.Logf("metalinkd crawl:\n%s", out)
	for _, s := range []string{"fresh: 1 fresh, 0 stale, 0 failed; http ok", "stale: 0 fresh, 1 stale, 0 failed; http ok",
		"dead: 0 fresh, 0 stale, 1 failed; http refused", "; DISABLED", "disabled: 1 (dead)"} {
		if !strings.Contains(string(out), s) {
			t.Errorf("crawl output lacks %q", s)
		}
	}
	body := md.waitForMetalink(t, query, "the fresh mirror alone", func(s string) bool {
		return strings.Contains(s, fresh.URL()) && strings.Count(s, "<url") == 1
	})
	for _, m := range []*mirror{stale, dead} {
		if strings.Contains(body, m.URL()) {
			t.Errorf("the %s mirror is listed after the crawl:\n%s", m.name, body)
		}
	}

	staleBefore := stale.requests()
	res := newDNFRoot(t, md.url+"/metalink?repo=fedora-$releasever&arch=$basearch", nil).run(t, "makecache")
	res.requireSuccess(t)
	if got := fresh.served(repomdSuffix); got < 2 {
		t.Errorf("the fresh mirror served repomd.xml %d times (crawl and dnf), want at least 2", got)
	}
	if got := stale.requests() - staleBefore; got != 0 {
		t.Errorf("dnf asked the stale mirror %d times:\n%s", got, stale.accessLog())
	}
	deadHost := strings.TrimPrefix(dead.srv.URL, "http://")
	if lines := res.librepoLines(deadHost); len(lines) > 0 {
		t.Errorf("dnf tried the dead mirror: %q", lines)
	}
	if lines := res.librepoLines(strings.TrimPrefix(stale.srv.URL, "http://")); len(lines) > 0 {
		t.Errorf("dnf was handed the stale mirror: %q", lines)
	}
}

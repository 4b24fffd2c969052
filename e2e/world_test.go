package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// regionalLocation is the location the regional mirror is registered for.
const regionalLocation = "us-east-1"

// metalinkQuery is what dnf asks for once it has substituted the fixture
// repository's variables, with location= appended by the caller.
const metalinkQuery = "repo=fedora-41&arch=x86_64"

// world is one scenario's deployment: a master tree; three loopback mirrors
// serving it, one of them the us-east-1 regional mirror; metalinkd with the
// mirrors imported, the master scanned and the regional mirror's copy
// reported; and a recording proxy in front of metalinkd.
type world struct {
	fx       *fixture
	dir      string
	master   string
	regional *mirror   // listed only for location us-east-1, once reported
	public   []*mirror // always up to date
	md       *metalinkd
	proxy    *recorder
}

func newWorld(t *testing.T) *world {
	t.Helper()
	fx := getFixture(t)
	w := &world{fx: fx, dir: t.TempDir()}
	w.master = filepath.Join(w.dir, "master")
	if err := copyTree(fx.tree, w.master); err != nil {
		t.Fatal(err)
	}
	w.regional = startMirror(t, "regional-us-east-1", w.master)
	w.public = []*mirror{startMirror(t, "mirror-us", w.master), startMirror(t, "mirror-de", w.master)}
	w.md = newMetalinkd(t, w.dir)
	w.md.run(t, "import", mirrorsFile(t, w.dir, w.regional, w.public...))
	w.md.run(t, "scan", "--root", w.master)
	w.md.run(t, "report", "--mirror", w.regional.name, "--directory", repoDir)
	w.md.serve(t)
	w.proxy = startRecorder(t, w.md.url)
	w.md.waitForMetalink(t, metalinkQuery+"&location="+regionalLocation, "the regional mirror",
		func(body string) bool { return strings.Contains(body, w.regional.URL()) })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("requests through the proxy:\n%s", w.proxy)
			t.Logf("metalinkd log:\n%s", w.md.serverLog(t))
		}
	})
	return w
}

// dnfMetalink is the repository's metalink as a Fedora repo file writes it,
// pointed at the recording proxy.
func (w *world) dnfMetalink() string {
	return w.proxy.URL() + "/metalink?repo=fedora-$releasever&arch=$basearch&location=$location"
}

// publicServed counts how often the public mirrors served paths ending in suffix.
func (w *world) publicServed(suffix string) int {
	n := 0
	for _, m := range w.public {
		n += m.served(suffix)
	}
	return n
}

// linesWith returns the lines of text containing every one of words.
func linesWith(text string, words ...string) []string {
	var lines []string
	for _, line := range strings.Split(text, "\n") {
		if containsAll(line, words) {
			lines = append(lines, line)
		}
	}
	return lines
}

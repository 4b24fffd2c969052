package e2e

import (
	"context"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startMirrorOn is startMirror on its own loopback address, so that a
// client that keeps one URL per host (aria2) sees two hosts.
func startMirrorOn(t *testing.T, name, root, ip string) *mirror {
	t.Helper()
	m := &mirror{name: name, root: root}
	m.srv = httptest.NewUnstartedServer(m)
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatalf("listen on %s: %v", ip, err)
	}
	m.srv.Listener.Close()
	m.srv.Listener = ln
	m.srv.Start()
	t.Cleanup(m.srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("access log of %s:\n%s", m.name, m.accessLog())
		}
	})
	return m
}

// meta4World is two mirrors on distinct loopback addresses behind
// metalinkd: first, the us-east-1 regional mirror (priority 1 for that
// location), possibly serving a corrupted repomd.xml of the right size, and
// second, a public mirror with the good copy.
type meta4World struct {
	master        string
	first, second *mirror
	md            *metalinkd
}

func newMeta4World(t *testing.T, corruptFirst bool) *meta4World {
	t.Helper()
	fx := getFixture(t)
	dir := t.TempDir()
	w := &meta4World{master: filepath.Join(dir, "master")}
	if err := copyTree(fx.tree, w.master); err != nil {
		t.Fatal(err)
	}
	firstRoot := w.master
	if corruptFirst {
		firstRoot = filepath.Join(dir, "corrupt")
		if err := copyTree(fx.tree, firstRoot); err != nil {
			t.Fatal(err)
		}
		corruptFile(t, filepath.Join(firstRoot, repoDir, "repodata", "repomd.xml"))
	}
	w.first = startMirrorOn(t, "regional-us-east-1", firstRoot, "127.0.0.2")
	w.second = startMirrorOn(t, "mirror-de", w.master, "127.0.0.3")
	w.md = newMetalinkd(t, dir)
	w.md.run(t, "import", mirrorsFile(t, dir, w.first, w.second))
	w.md.run(t, "scan", "--root", w.master)
	w.md.run(t, "report", "--mirror", w.first.name, "--directory", repoDir)
	w.md.serve(t)
	w.md.waitForMetalink(t, metalinkQuery+"&location="+regionalLocation, "the regional mirror",
		func(body string) bool { return strings.Contains(body, w.first.URL()) })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("metalinkd log:\n%s", w.md.serverLog(t))
		}
	})
	return w
}

// meta4URL is the Metalink 4 answer for a guest in us-east-1.
func (w *meta4World) meta4URL() string {
	return w.md.url + "/metalink.meta4?" + metalinkQuery + "&location=" + regionalLocation
}

// corruptFile changes one byte of a file, keeping its size.
func corruptFile(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMeta4Aria2 lets aria2 download repomd.xml through a Metalink 4
// answer. It verifies the sha-256; with the priority-1 mirror serving a
// corrupted copy, it rejects that copy by its piece hash and completes from
// the other mirror.
func TestMeta4Aria2(t *testing.T) {
	requireTools(t, "aria2c", "rpmbuild", "createrepo_c")
	for _, corrupt := range []bool{false, true} {
		t.Run(map[bool]string{false: "good", true: "corrupt first"}[corrupt], func(t *testing.T) {
			w := newMeta4World(t, corrupt)
			res := runAria2(t, w.meta4URL()) // fails the test unless aria2 exits 0
			if got, want := fileDigests(t, res.file), repomdDigests(t, w.master); got != want {
				t.Errorf("downloaded repomd.xml has sha256 %s, want %s", got.sha256, want.sha256)
			}
			wantFirst, wantSecond := 1, 0
			if corrupt {
				wantSecond = 1
				if lines := linesWith(res.log, "Invalid checksum"); len(lines) == 0 {
					t.Error("aria2 did not report the corrupted copy's checksum")
				}
			}
			if got := w.first.served(repomdSuffix); got != wantFirst {
				t.Errorf("first mirror served repomd.xml %d times, want %d", got, wantFirst)
			}
			if got := w.second.served(repomdSuffix); got != wantSecond {
				t.Errorf("second mirror served repomd.xml %d times, want %d", got, wantSecond)
			}
		})
	}
}

// TestMeta4Wget2 lets wget2 follow a Metalink 4 answer and verify the
// downloaded repomd.xml's sha-256.
//
// Debian 12's wget2 (1.99.1) fetches from the first URL only: on a bad copy
// it fetches the same URL again, without end, so the corrupted-mirror case
// is covered with aria2 alone.
func TestMeta4Wget2(t *testing.T) {
	requireTools(t, "wget2", "rpmbuild", "createrepo_c")
	w := newMeta4World(t, false)
	dir, out := runWget2(t, w.meta4URL())
	if !strings.Contains(string(out), "Checksum OK for 'repomd.xml'") {
		t.Errorf("wget2 did not verify the download against the metalink's hash:\n%s", out)
	}
	if got, want := fileDigests(t, filepath.Join(dir, "repomd.xml")), repomdDigests(t, w.master); got != want {
		t.Errorf("downloaded repomd.xml has sha256 %s, want %s", got.sha256, want.sha256)
	}
	if got := w.first.served(repomdSuffix); got != 1 {
		t.Errorf("priority-1 mirror served repomd.xml %d times, want 1", got)
	}
}

// runWget2 lets wget2 follow the Metalink 4 answer at url, from the first
// URL only, in a directory of its own, and returns that directory and
// wget2's output; it fails t when wget2 fails.
func runWget2(t *testing.T, url string) (dir string, out []byte) {
	t.Helper()
	dir = t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "wget2", "--no-config", "--metalink", "--tries=1", "--max-threads=1", "-v", url)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LANG=C.UTF-8"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("wget2: %v\n%s", err, out)
	}
	return dir, out
}

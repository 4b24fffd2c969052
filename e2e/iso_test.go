package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	isoDir  = "releases/41/Workstation/x86_64/iso"
	isoName = "Fedora-Workstation-Live-x86_64-41-1.4.iso"
	isoPath = isoDir + "/" + isoName
	// isoSize is ISO-like enough for a download of several pieces of
	// transfer, small enough for a test.
	isoSize = 4 << 20
)

// isoWorld is the metalink world with an ISO image in release 41's tree,
// its sha256 in a clear-signed CHECKSUM file beside it, as Fedora
// publishes them: the regional mirror (first for us-east-1, fresh for
// fedora-41 and so carrying release 41's ISO directory) possibly serving a
// corrupted copy of the image, the public mirror the good one.
type isoWorld struct {
	*meta4World
	sha string
}

func newISOWorld(t *testing.T, corruptFirst bool, serveArgs ...string) *isoWorld {
	t.Helper()
	fx := getFixture(t)
	dir := t.TempDir()
	w := &isoWorld{meta4World: &meta4World{master: filepath.Join(dir, "master")}}
	if err := copyTree(fx.tree, w.master); err != nil {
		t.Fatal(err)
	}
	img := make([]byte, isoSize)
	if _, err := rand.Read(img); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(img)
	w.sha = hex.EncodeToString(sum[:])
	writeFile(t, filepath.Join(w.master, isoPath), img)
	writeFile(t, filepath.Join(w.master, isoDir, "Fedora-Workstation-41-1.4-x86_64-CHECKSUM"), []byte(
		"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"+
			"# "+isoName+": 4194304 bytes\nSHA256 ("+isoName+") = "+w.sha+"\n"+
			"-----BEGIN PGP SIGNATURE-----\n\nwsFzBAEBCAAdFiEE\n-----END PGP SIGNATURE-----\n"))
	firstRoot := w.master
	if corruptFirst {
		firstRoot = filepath.Join(dir, "corrupt")
		if err := copyTree(w.master, firstRoot); err != nil {
			t.Fatal(err)
		}
		corruptFile(t, filepath.Join(firstRoot, isoPath))
	}
	w.first = startMirrorOn(t, "regional-us-east-1", firstRoot, "127.0.0.2")
	w.second = startMirrorOn(t, "mirror-de", w.master, "127.0.0.3")
	w.md = newMetalinkd(t, dir)
	w.md.serveArgs = serveArgs
	w.md.run(t, "import", mirrorsFile(t, dir, w.first, w.second))
	w.md.run(t, "scan", "--root", w.master)
	w.md.run(t, "report", "--mirror", w.first.name, "--directory", repoDir)
	w.md.serve(t)
	w.md.waitForMetalink(t, "path=pub/fedora/linux/"+isoPath+"&location="+regionalLocation, "the regional mirror",
		func(body string) bool { return strings.Contains(body, w.first.URL()+"/"+isoPath) })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("metalinkd log:\n%s", w.md.serverLog(t))
		}
	})
	return w
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestISORedirectCurl follows redirect=1 for an ISO path, in the
// pub/fedora/linux form Fedora's tools send, with real curl -L: the server
// answers 302 to the first selected mirror's URL of the file, and curl
// gets the image from it.
func TestISORedirectCurl(t *testing.T) {
	requireTools(t, "curl", "rpmbuild", "createrepo_c")
	w := newISOWorld(t, false)
	dir := t.TempDir()
	out := filepath.Join(dir, isoName)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := w.md.url + "/mirrorlist?path=pub/fedora/linux/" + isoPath + "&redirect=1&location=" + regionalLocation
	cmd := exec.CommandContext(ctx, "curl", "--silent", "--show-error", "--fail", "--location",
		"--write-out", "%{url_effective}", "--output", out, url)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	effective, err := cmd.Output()
	if err != nil {
		t.Fatalf("curl -L %s: %v", url, err)
	}
	if want := w.first.URL() + "/" + isoPath; string(effective) != want {
		t.Errorf("curl ended at %s, want %s", effective, want)
	}
	if got := sha256File(t, out); got != w.sha {
		t.Errorf("downloaded image has sha256 %s, want %s", got, w.sha)
	}
	if got := w.first.served(isoPath); got != 1 {
		t.Errorf("first mirror served the image %d times, want 1", got)
	}
}

// TestISOMetalinkAria2 lets aria2 download the image through its Metalink
// 3.0 and its Metalink 4 answers from two mirrors, the first (priority 1)
// possibly serving a corrupted copy of the right size; the download's
// sha256 is checked.
//
// With either answer aria2 rejects the corrupted copy by the piece hash
// (one piece, the whole image) and completes from the other mirror; without
// the piece, in Fedora's exact layout, it gives up instead
// (TestISOMetalinkAria2FedoraLayout).
func TestISOMetalinkAria2(t *testing.T) {
	requireTools(t, "aria2c", "rpmbuild", "createrepo_c")
	for _, format := range []string{"metalink", "metalink.meta4"} {
		for _, corrupt := range []bool{false, true} {
			name := format + map[bool]string{false: "/good", true: "/corrupt first"}[corrupt]
			t.Run(name, func(t *testing.T) {
				w := newISOWorld(t, corrupt)
				url := w.md.url + "/" + format + "?path=" + isoPath + "&location=" + regionalLocation
				res := runAria2For(t, url, isoName)
				if got := sha256File(t, res.file); got != w.sha {
					t.Errorf("downloaded image has sha256 %s, want %s", got, w.sha)
				}
				if got := w.first.served(isoPath); got != 1 {
					t.Errorf("first mirror served the image %d times, want 1", got)
				}
				wantSecond := 0
				if corrupt {
					wantSecond = 1
					if lines := linesWith(res.log, "Invalid checksum"); len(lines) == 0 {
						t.Error("aria2 did not report the corrupted copy's checksum")
					}
				}
				if got := w.second.served(isoPath); got != wantSecond {
					t.Errorf("second mirror served the image %d times, want %d", got, wantSecond)
				}
			})
		}
	}
}

// TestISOMetalinkAria2FedoraLayout pins why file metalinks carry a piece:
// with --fedora-file-metalinks the Metalink 3.0 answer is Fedora's exact
// layout, one hash of the whole file, and aria2 1.36 detects the corrupted
// copy but stops (exit 32) instead of completing from the other mirror.
func TestISOMetalinkAria2FedoraLayout(t *testing.T) {
	requireTools(t, "aria2c", "rpmbuild", "createrepo_c")
	w := newISOWorld(t, true, "--fedora-file-metalinks")
	query := "path=" + isoPath + "&location=" + regionalLocation
	url := w.md.url + "/metalink?" + query
	body := w.md.metalink(t, query)
	if strings.Contains(body, "<pieces") || !strings.Contains(body, `<hash type="sha256">`+w.sha+"</hash>") {
		t.Fatalf("not Fedora's layout with the image's sha256:\n%s", body)
	}
	res, out, err := tryAria2(t, url, isoName)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 32 {
		t.Fatalf("aria2c: %v, want exit status 32 (checksum error)\n%s\nlog:\n%s", err, out, res.log)
	}
	if lines := linesWith(res.log, "Checksum error detected"); len(lines) == 0 {
		t.Errorf("aria2 did not report the corrupted copy's checksum:\n%s", res.log)
	}
	if got := w.first.served(isoPath); got != 1 {
		t.Errorf("first mirror served the image %d times, want 1", got)
	}
	if got := w.second.served(isoPath); got != 0 {
		t.Errorf("second mirror served the image %d times, want 0", got)
	}
}

// TestISOMetalinkWget2 lets wget2 download the 4 MiB image through its
// Metalink 4 answer and verify it against the answer's sha-256 (piece and
// whole file). Debian's wget2 only ever retries the first URL, so the
// corrupted-mirror case is aria2's (TestISOMetalinkAria2).
func TestISOMetalinkWget2(t *testing.T) {
	requireTools(t, "wget2", "rpmbuild", "createrepo_c")
	w := newISOWorld(t, false)
	dir, out := runWget2(t, w.md.url+"/metalink?meta4=1&path="+isoPath+"&location="+regionalLocation)
	if !strings.Contains(string(out), "Checksum OK for '"+isoName+"'") {
		t.Errorf("wget2 did not verify the image against the metalink's hash:\n%s", out)
	}
	if got := sha256File(t, filepath.Join(dir, isoName)); got != w.sha {
		t.Errorf("downloaded image has sha256 %s, want %s", got, w.sha)
	}
	if got := w.first.served(isoPath); got != 1 {
		t.Errorf("first mirror served the image %d times, want 1", got)
	}
}

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestRedirectPlusWithCurl follows a mirrorlist redirect for a package with
// '+' in its name, as curl sends it (verbatim): the mirror is asked for
// that file, not for one with spaces.
func TestRedirectPlusWithCurl(t *testing.T) {
	requireTools(t, "curl", "rpmbuild", "createrepo_c")
	w := newMeta4World(t, false)
	const name = "libstdc++-14.2.1-3.fc41.x86_64.rpm"
	rel := filepath.Join(repoDir, "Packages", "l", name)
	want := []byte("a package whose name has plus signs\n")
	if err := os.MkdirAll(filepath.Dir(filepath.Join(w.master, rel)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.master, rel), want, 0o644); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "download")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := w.md.url + "/mirrorlist?path=" + rel + "&redirect=1&location=" + regionalLocation
	out, err := exec.CommandContext(ctx, "curl", "-sS", "-f", "-L", "-o", dest, url).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %s: %v\n%s", url, err, out)
	}
	if got, err := os.ReadFile(dest); err != nil || string(got) != string(want) {
		t.Errorf("downloaded %q (%v), want %q", got, err, want)
	}
	if got := w.first.served("/Packages/l/" + name); got != 1 {
		t.Errorf("mirror served %s %d times, want 1", name, got)
	}
}

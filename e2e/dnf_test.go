package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dnfRepoID names the fixture repository in every installroot.
const dnfRepoID = "fedora"

// dnfRoot is an installroot holding its own dnf.conf, repo file, vars, cache
// and logs, so that dnf never reads or writes the host's /etc or /var.
type dnfRoot struct {
	dir  string
	runs int
}

// newDNFRoot makes an installroot whose repository uses metalinkURL.
// location is written to etc/dnf/vars/location unless it is nil.
func newDNFRoot(t *testing.T, metalinkURL string, location *string) *dnfRoot {
	t.Helper()
	requireTools(t, "dnf")
	r := &dnfRoot{dir: filepath.Join(t.TempDir(), "root")}
	files := map[string]string{
		"etc/dnf/dnf.conf": "[main]\ngpgcheck=0\nskip_if_unavailable=False\n" +
			"debuglevel=10\nlogfilelevel=10\ninstall_weak_deps=False\n",
		"etc/yum.repos.d/fixture.repo": fmt.Sprintf("[%s]\nname=Fedora $releasever - $basearch\n"+
			"metalink=%s\nenabled=1\ngpgcheck=0\n", dnfRepoID, metalinkURL),
	}
	if location != nil {
		files["etc/dnf/vars/location"] = *location + "\n"
	}
	for name, content := range files {
		path := filepath.Join(r.dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(r.dir, "etc/dnf/vars"), 0o755); err != nil {
		t.Fatal(err)
	}
	return r
}

// dnfResult is what one dnf run left behind.
type dnfResult struct {
	err        error  // nil when dnf exited 0
	output     string // stdout and stderr
	librepoLog string // var/log/dnf.librepo.log of this run
}

// run runs dnf in the installroot. Logs of earlier runs are moved aside
// first, since dnf appends to them.
func (r *dnfRoot) run(t *testing.T, args ...string) dnfResult {
	t.Helper()
	r.runs++
	logDir := filepath.Join(r.dir, "var/log")
	for _, name := range []string{"dnf.log", "dnf.librepo.log", "dnf.rpm.log", "hawkey.log"} {
		old := filepath.Join(logDir, name)
		if err := os.Rename(old, fmt.Sprintf("%s.%d", old, r.runs-1)); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	// The cache directory must be given as an absolute path inside the root:
	// dnf 4.14 does not prefix the installroot to a cachedir set with
	// --setopt, and would otherwise write to the host's /var/cache/dnf.
	base := []string{"-v", "-y", "--disableplugin=local", "--installroot=" + r.dir,
		"--releasever=41", "--forcearch=x86_64", "--setopt=cachedir=" + filepath.Join(r.dir, "var/cache/dnf")}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dnf", append(base, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Join(r.dir, "root"), "LANG=C.UTF-8"}
	out, err := cmd.CombinedOutput()
	res := dnfResult{err: err, output: string(out)}
	if b, err := os.ReadFile(filepath.Join(logDir, "dnf.librepo.log")); err == nil {
		res.librepoLog = string(b)
	}
	t.Logf("dnf %s: %v", strings.Join(args, " "), cmd.ProcessState)
	return res
}

// requireSuccess fails t unless dnf exited 0.
func (res dnfResult) requireSuccess(t *testing.T) {
	t.Helper()
	if res.err != nil {
		t.Fatalf("dnf failed: %v\n%s\nlibrepo log:\n%s", res.err, res.output, res.librepoLog)
	}
}

// librepoLines returns the librepo log lines containing every one of words.
func (res dnfResult) librepoLines(words ...string) []string {
	return linesWith(res.librepoLog, words...)
}

func containsAll(s string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

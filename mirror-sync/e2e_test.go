package mirrorsync

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// TestSyncMultipart publishes a package above the multipart threshold in
// parts, each with its checksum, sent at once (the proxy holds each part
// until the other arrives, and lets them go if one never does), and
// resyncs it as a no-op.
func TestSyncMultipart(t *testing.T) {
	e := newSyncEnv(t)
	e.extra = "multipart_threshold: 5242880\npart_size: 5242880"
	makeRepo(t, bigSet(t), e.root, testDir, []string{"big-1-1"})
	var mu sync.Mutex
	inFlight, most := 0, 0
	both := make(chan struct{})
	e.proxy.set(func(kind string, r *http.Request) int {
		if kind != "PUT" || !r.URL.Query().Has("partNumber") {
			return 0
		}
		mu.Lock()
		inFlight++
		if most = max(most, inFlight); most == 2 {
			close(both)
		}
		mu.Unlock()
		select {
		case <-both:
		case <-time.After(10 * time.Second):
		}
		mu.Lock()
		inFlight--
		mu.Unlock()
		return 0
	}, nil)
	sum, _ := e.mustSync(t0)
	e.proxy.set(nil, nil)
	if most < 2 {
		t.Errorf("parts sent one at a time (at most %d in flight)", most)
	}
	if got := sum.Requests.get("UploadPart"); got != 2 || sum.Requests.get("CompleteMultipartUpload") != 1 {
		t.Errorf("multipart requests: %s", sum.Requests)
	}
	if live, err := e.clientView(testDir); err != nil || live == "" {
		t.Fatalf("client view: %q %v", live, err)
	}
	_, counts := e.mustSync(t0.Add(time.Hour))
	if counts["PUT"] != 0 || counts["POST"] != 0 {
		t.Errorf("no-op after multipart: %v", counts)
	}
}

// TestMainExitCodes checks the three exit codes of the command line.
func TestMainExitCodes(t *testing.T) {
	e := newSyncEnv(t)
	makeRepo(t, smallSet(t), e.root, testDir, []string{"alpha-1-1"})
	config := e.writeConfig()
	run := func(getenv func(string) string, args ...string) (int, string) {
		var out bytes.Buffer
		code := Main(context.Background(), Env{Getenv: getenv, Stdout: &out, Stderr: &out}, args)
		return code, out.String()
	}
	none := func(string) string { return "" }
	if code, out := run(none, "sync", "--config", config); code != exitConfig || strings.Contains(out, testToken) {
		t.Errorf("sync without a token: exit %d\n%s", code, out)
	}
	if code, _ := run(e.getenv, "frobnicate"); code != exitConfig {
		t.Errorf("unknown command: exit %d", code)
	}
	if code, out := run(e.getenv, "--config", config, "--dry-run"); code != exitOK || !strings.Contains(out, "put package") {
		t.Errorf("dry run: exit %d\n%s", code, out)
	}
	if len(e.keys()) != 0 {
		t.Fatal("dry run wrote to the bucket")
	}
	if code, out := run(e.getenv, "sync", "--config", config); code != exitOK || !strings.Contains(out, "REGION") {
		t.Errorf("sync: exit %d\n%s", code, out)
	}
	// A package that no longer matches its metadata fails the directory.
	pkg := filepath.Join(e.root, testDir, "Packages", "beta-1-1.noarch.rpm")
	makeRepo(t, smallSet(t), e.root, testDir, []string{"alpha-1-1", "beta-1-1"})
	if err := os.WriteFile(pkg, []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.extra = "grace: 1ms"
	config = e.writeConfig()
	if code, out := run(e.getenv, "sync", "--config", config); code != exitPartial || !strings.Contains(out, "checksum mismatch") {
		t.Errorf("damaged source: exit %d\n%s", code, out)
	}
	if live, err := e.clientView(testDir); err != nil || live == e.masterRepomd(testDir) {
		t.Errorf("a failed sync published the new repomd: %q %v", live, err)
	}
}

// TestDnfInstallsFromBucket provisions the bucket with the in-region read
// policy (127.0.0.1 standing for the region's EC2 prefix), publishes the
// repository, and has the real dnf install a package from the gateway's
// plain HTTP.
func TestDnfInstallsFromBucket(t *testing.T) {
	testpeer.Require(t, "dnf", "see scripts/test.sh")
	rpm := testpeer.Require(t, "rpm", "see scripts/test.sh")
	e := newSyncEnv(t)
	makeRepo(t, smallSet(t), e.root, testDir, []string{"alpha-1-1", "beta-1-1"})
	e.mustSync(t0)
	e.provisionLoopback(t)
	root := dnfRoot(t, fmt.Sprintf("[bucket]\nname=bucket\nbaseurl=%s/%s/%s/%s/\nenabled=1\ngpgcheck=0\n",
		e.gw.Endpoint, testBucket, testPrefix, testDir), nil)
	runDNF(t, root, "install", "alpha")
	if out, err := exec.Command(rpm, "--root", root, "-q", "alpha").CombinedOutput(); err != nil {
		t.Fatalf("alpha is not installed: %v\n%s", err, out)
	}
}

// provisionLoopback applies the in-region read policy to the bucket, with
// 127.0.0.1 standing for the region's EC2 prefix, so that dnf on loopback
// reads it anonymously as a guest in the region would.
func (e *syncEnv) provisionLoopback(t *testing.T) {
	t.Helper()
	e.extra += "\nip_ranges: " + writeIPRanges(t, "1700000000", "127.0.0.1/32")
	cfg, err := loadConfig(e.writeConfig(), e.getenv)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Regions[0].NoVPCEndpoints = true
	cfg.Regions[0].Endpoint = e.gw.Endpoint
	if _, err := provision(context.Background(), cfg, &cfg.Regions[0], false, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
}

// dnfRoot makes an installroot for the real dnf with one repository file
// and dnf variables (etc/dnf/vars/NAME). dnf logs everything under
// var/log there, and caches under var/cache/dnf there (see runDNF).
func dnfRoot(t *testing.T, repo string, vars map[string]string) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"etc/dnf/dnf.conf":       "[main]\ngpgcheck=0\nskip_if_unavailable=False\ninstall_weak_deps=False\ndebuglevel=10\nlogfilelevel=10\n",
		"etc/yum.repos.d/x.repo": repo,
	}
	for name, value := range vars {
		files["etc/dnf/vars/"+name] = value + "\n"
	}
	for f, body := range files {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// runDNF runs the real dnf in root, as release 41 on x86_64 with the cache
// inside the root, and returns its output; a failure fails t.
func runDNF(t *testing.T, root string, args ...string) string {
	t.Helper()
	dnf := testpeer.Require(t, "dnf", "see scripts/test.sh")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, dnf, append([]string{"-y", "--disableplugin=*", "--installroot=" + root, "--releasever=41",
		"--forcearch=x86_64", "--setopt=cachedir=" + filepath.Join(root, "var/cache/dnf")}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dnf %v: %v\n%s", args, err, out)
	}
	return string(out)
}

package mirrorsync

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRetirePrefixes(t *testing.T) {
	cfg := &config{ReleasePrefixes: defaultReleasePrefixes}
	tests := []struct {
		release, prefix string
		want            []string
		bad             bool
	}{
		{release: "39", want: []string{"releases/39/", "updates/39/", "updates/testing/39/"}},
		{prefix: "/releases/39/", want: []string{"releases/39/"}},
		{prefix: "/", bad: true},
		{prefix: ".mirror-sync/state", bad: true},
		{release: "39", prefix: "x", bad: true},
		{bad: true},
		{release: "../39", bad: true},
	}
	for _, tc := range tests {
		got, err := retirePrefixes(cfg, tc.release, tc.prefix)
		if tc.bad {
			if err == nil {
				t.Errorf("retirePrefixes(%q, %q) = %v, want an error", tc.release, tc.prefix, got)
			}
			continue
		}
		if err != nil || strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("retirePrefixes(%q, %q) = %v, %v, want %v", tc.release, tc.prefix, got, err, tc.want)
		}
	}
}

// TestRetireRelease publishes two releases, retires one: the dry run
// changes nothing; the real run tells the server before the first delete,
// empties the release (and its sync state) and leaves the other one alone.
func TestRetireRelease(t *testing.T) {
	e := newSyncEnv(t)
	set := smallSet(t)
	dir39, dir40 := "releases/39/Everything/x86_64/os", "releases/40/Everything/x86_64/os"
	makeRepo(t, set, e.root, dir39, []string{"alpha-1-1"})
	makeRepo(t, set, e.root, dir40, []string{"beta-1-1"})
	e.mustSync(t0)
	if err := os.RemoveAll(filepath.Join(e.root, "releases", "39")); err != nil {
		t.Fatal(err)
	}
	config := e.writeConfig()
	run := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := Main(context.Background(), Env{Getenv: e.getenv, Stdout: &out, Stderr: &out},
			append([]string{"retire", "--config", config}, args...))
		return code, out.String()
	}
	code, out := run("--release", "39", "--dry-run")
	if code != exitOK || !strings.Contains(out, "releases/39/: server forgot 0 directories; would delete 6 objects") {
		t.Fatalf("dry run: %d\n%s", code, out)
	}
	if e.server.forgetCount() != 0 || !e.keys()[repomdPath(dir39)] {
		t.Fatal("dry run changed something")
	}
	var early atomic.Bool
	e.proxy.set(func(kind string, r *http.Request) int {
		if kind == "DELETE" && e.server.forgetCount() == 0 {
			early.Store(true)
		}
		return 0
	}, nil)
	code, out = run("--release", "39")
	if code != exitOK || early.Load() {
		t.Fatalf("retire: exit %d, deleted before the server forgot: %v\n%s", code, early.Load(), out)
	}
	keys := e.keys()
	for k := range keys {
		if strings.HasPrefix(k, "releases/39/") || strings.HasPrefix(k, stateDir+"/releases/39/") {
			t.Errorf("%s survived retirement", k)
		}
	}
	if !keys[repomdPath(dir40)] || !keys[statePath(dir40)] {
		t.Error("release 40 was touched")
	}
	_, counts := e.mustSync(t0.Add(time.Hour))
	if counts["PUT"] != 0 || e.keys()[repomdPath(dir39)] {
		t.Errorf("sync after retirement: %v", counts)
	}

	e.extra = "directories: [" + dir40 + "]"
	config = e.writeConfig()
	if code, out := run("--prefix", "releases/40"); code != exitConfig {
		t.Errorf("retiring a configured directory: exit %d, want %d\n%s", code, exitConfig, out)
	}
}

// TestRetireRefusesReleaseInSource: a release still in the master tree is
// refused, walked locally or read over HTTP, before the server or any
// bucket is touched; once gone from the tree it retires.
func TestRetireRefusesReleaseInSource(t *testing.T) {
	e := newSyncEnv(t)
	set := smallSet(t)
	dir39, dir40 := "releases/39/Everything/x86_64/os", "releases/40/Everything/x86_64/os"
	makeRepo(t, set, e.root, dir39, []string{"alpha-1-1"})
	makeRepo(t, set, e.root, dir40, []string{"beta-1-1"})
	e.mustSync(t0)
	before := len(e.keys())
	run := func(config string) (int, string) {
		var out bytes.Buffer
		code := Main(context.Background(), Env{Getenv: e.getenv, Stdout: &out, Stderr: &out, TTY: true},
			[]string{"retire", "--config", config, "--release", "39"})
		return code, out.String()
	}
	web := httptest.NewServer(http.FileServer(http.Dir(e.root)))
	defer web.Close()
	local := e.writeConfig()
	e.source = web.URL
	e.extra = "directories: [" + dir40 + "]"
	remote := e.writeConfig()
	for name, config := range map[string]string{"walked": local, "http": remote} {
		code, out := run(config)
		if code != exitConfig || !strings.Contains(out, "mirror-sync: retire: releases/39/ is still in the master tree (") {
			t.Errorf("%s source: exit %d, want %d\n%s", name, code, exitConfig, out)
		}
		if e.server.forgetCount() != 0 || len(e.keys()) != before {
			t.Fatalf("%s source: the refused retire changed something", name)
		}
	}
	if err := os.RemoveAll(filepath.Join(e.root, "releases", "39")); err != nil {
		t.Fatal(err)
	}
	if code, out := run(remote); code != exitOK || !strings.Contains(out, "releases/39/: server forgot") {
		t.Errorf("http source after removing the release: exit %d\n%s", code, out)
	}
	if e.keys()[repomdPath(dir39)] || !e.keys()[repomdPath(dir40)] {
		t.Error("retire after removal: wrong objects left")
	}
}

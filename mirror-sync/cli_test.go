package mirrorsync

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/smithy-go"

	buildinfo "github.com/metalinkd/metalinkd/internal/version"
)

// runMain runs the command line in-process and returns its exit code,
// standard output and standard error.
func runMain(getenv func(string) string, args ...string) (int, string, string) {
	return runMainTTY(false, getenv, args...)
}

// runMainTTY is runMain with stderr a terminal or not.
func runMainTTY(tty bool, getenv func(string) string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(context.Background(), Env{Getenv: getenv, Stdout: &out, Stderr: &errb, TTY: tty}, args)
	return code, out.String(), errb.String()
}

func noEnv(string) string { return "" }

// TestHelp checks the top-level help, each command's help by both routes,
// and the version.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		code, out, _ := runMain(noEnv, args...)
		for _, want := range []string{"sync ", "provision ", "retire ", "help ", "version ", "Exit codes:", "3  another mirror-sync holds the lock",
			"MIRROR_SYNC_CONFIG", "MIRROR_SYNC_TOKEN_<REGION>", "MIRROR_SYNC_LOCK_DIR", "'metalinkd scan', then"} {
			if code != exitOK || !strings.Contains(out, want) {
				t.Errorf("%v: exit %d, output lacks %q:\n%s", args, code, want, out)
			}
		}
	}
	flags := map[string][]string{
		"sync":      {"--wait", "-lock-dir", "-deadline", "-region-deadline", "-max-connection-failures", "-log-format", "-dry-run"},
		"provision": {"-region", "-ip-ranges"},
		"retire":    {"-release", "-prefix", "-wait"},
	}
	for cmd, want := range flags {
		for _, args := range [][]string{{cmd, "-h"}, {"help", cmd}} {
			code, out, _ := runMain(noEnv, args...)
			if code != exitOK || !strings.HasPrefix(out, "Usage: mirror-sync "+cmd+" ") {
				t.Errorf("%v: exit %d\n%s", args, code, out)
			}
			for _, f := range want {
				if !strings.Contains(out, strings.TrimPrefix(f, "-")) {
					t.Errorf("%v: no %s in\n%s", args, f, out)
				}
			}
		}
	}
	want := "mirror-sync " + buildinfo.Get().String() + "\n"
	for _, args := range [][]string{{"--version"}, {"version"}} {
		if code, out, _ := runMain(noEnv, args...); code != exitOK || out != want {
			t.Errorf("%v: exit %d, %q, want %q", args, code, out, want)
		}
	}
	if code, _, errs := runMain(noEnv, "help", "frob"); code != exitConfig || !strings.Contains(errs, `unknown command "frob"`) {
		t.Errorf("help frob: exit %d %s", code, errs)
	}
	if code, _, errs := runMain(noEnv, "frob"); code != exitConfig || errs != "mirror-sync: unknown command \"frob\" (run 'mirror-sync help')\n" {
		t.Errorf("frob: exit %d %q", code, errs)
	}
}

// TestConfigErrorLines checks that a bad configuration is one plain line
// naming the file's line and the field, never a Go type or "bad
// configuration", and a JSON record with --log-format json.
func TestConfigErrorLines(t *testing.T) {
	head := "source: /srv\nregions:\n  - region: us-east-1\n    mirror: m\n"
	tests := []struct{ yaml, want string }{
		{head + "  - region: eu-west-1\n    mirror: n\n    bucket: Not_A_Bucket\n",
			`line 7: regions[1].bucket: "Not_A_Bucket" is not a valid S3 bucket name`},
		{head + "bogus: 1\n", `line 5: unknown field "bogus"`},
		{head + "concurrency: lots\n", `line 5: concurrency: "lots" is not a whole number`},
		{head + "grace: soon\n", `line 5: grace: duration "soon"`},
		{head + "  - region: us-east-1\n    mirror: n\n", `line 5: regions[1].region: "us-east-1" is listed twice`},
		{"source: /srv\nbucket_template: x_{region}\nregions:\n  - region: us-east-1\n    mirror: m\n", `line 2: bucket_template: "x_us-east-1"`},
	}
	for _, tc := range tests {
		f := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(f, []byte(tc.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		// On a terminal, and wherever text logs are asked for.
		for _, tty := range []bool{true, false} {
			code, _, errs := runMainTTY(tty, noEnv, "sync", "--config", f, "--log-format", map[bool]string{true: "auto", false: "text"}[tty])
			want := "mirror-sync: config " + f + " " + tc.want
			if code != exitConfig || !strings.HasPrefix(errs, want) || strings.Count(errs, "\n") != 1 {
				t.Errorf("exit %d, stderr %q, want one line starting %q", code, errs, want)
			}
			for _, bad := range []string{"bad configuration", "mirrorsync.", "yaml:"} {
				if strings.Contains(errs, bad) {
					t.Errorf("stderr %q names %q", errs, bad)
				}
			}
		}
		code, _, errs := runMainTTY(true, noEnv, "sync", "--config", f, "--log-format", "json")
		var rec map[string]any
		if err := json.Unmarshal([]byte(errs), &rec); code != exitConfig || err != nil || rec["msg"] != "mirror-sync failed" ||
			!strings.Contains(fmt.Sprint(rec["err"]), tc.want) {
			t.Errorf("json: exit %d, %q (%v)", code, errs, err)
		}
	}
}

// TestBucketErrorNamesBucket: an error of a bucket-wide operation names the
// bucket and the operation, not the key prefix, and says S3's code and
// message without the SDK's wrapping.
func TestBucketErrorNamesBucket(t *testing.T) {
	b := &bucket{name: "mirror-us-east-1", prefix: "pub/fedora"}
	err := b.wrap("create bucket", "", fmt.Errorf("operation error S3: CreateBucket: %w", &smithy.GenericAPIError{Code: "AccessDenied", Message: "not yours"}))
	if want := "bucket mirror-us-east-1: create bucket: AccessDenied: not yours"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	err = b.wrap("put", "releases/x/repodata/repomd.xml", &smithy.GenericAPIError{Code: "SlowDown"})
	if want := "bucket mirror-us-east-1: put pub/fedora/releases/x/repodata/repomd.xml: SlowDown"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}

// TestUserAgent checks that the S3 client and the server client both send
// mirror-sync's User-Agent.
func TestUserAgent(t *testing.T) {
	var mu sync.Mutex
	var agents []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents = append(agents, r.Header.Get("User-Agent"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><IsTruncated>false</IsTruncated></ListBucketResult>`)
	}))
	defer srv.Close()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", testAccess)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_PROFILE", "")
	cfg := &config{}
	cfg.defaults()
	b, err := newBucket(context.Background(), cfg, &region{Name: "us-east-1", Bucket: "b", Endpoint: srv.URL, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.list(context.Background(), "x/"); err != nil {
		t.Fatal(err)
	}
	if _, err := NewServerClient(srv.URL, nil).Knows(context.Background(), "x", "00"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	version := strings.NewReplacer("(", "-", ")", "-").Replace(buildinfo.Get().Version)
	if len(agents) != 2 || !strings.Contains(agents[0], "mirror-sync/"+version) || agents[1] != buildinfo.UserAgent("mirror-sync") {
		t.Errorf("User-Agents %q, want mirror-sync/%s in both", agents, version)
	}
}

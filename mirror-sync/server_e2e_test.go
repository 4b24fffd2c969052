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
)

const (
	publicMirror = "public"
	dir40        = "releases/40/Everything/x86_64/os"
)

// serverWorld is one region's sync against the real metalinkd: a master
// tree with releases 40 and 41, the region's bucket, a public mirror that
// serves the master tree, and the server with its tokens.
type serverWorld struct {
	e      *syncEnv
	srv    *metalinkd
	public *fileMirror
	config string
	// bucketURL is the gateway's path-style URL of the bucket's prefix: the
	// regional mirror's URL on the server.
	bucketURL string
	// Tokens: admin, report:<the bucket's mirror>, report:public.
	admin, report, other string
}

// TestSyncWithRealServer runs mirror-sync against the real metalinkd binary
// (embedded store, loopback): the bucket is listed for its location only
// after a report the server accepted, first; reports and forgets with
// another mirror's token, and requests without the admin scope, change
// nothing; a changed master tree is reported after a rescan and a resync;
// retiring a release makes the server stop listing the bucket for it before
// its objects go. Then the real dnf, sent to the metalink with its
// location, downloads a package from the bucket.
func TestSyncWithRealServer(t *testing.T) {
	w := newServerWorld(t)
	w.refused(t)
	w.accepted(t)
	w.republished(t)
	w.retired(t)
	t.Run("dnf", w.dnfDownloads)
	t.Logf("admin API requests the server logged:\n  %s", strings.Join(w.srv.apiRequests(), "\n  "))
}

func newServerWorld(t *testing.T) *serverWorld {
	t.Helper()
	e := newSyncEnv(t)
	srv := newMetalinkd(t)
	set := smallSet(t)
	makeRepo(t, set, e.root, testDir, []string{"alpha-1-1"})
	makeRepo(t, set, e.root, dir40, []string{"beta-1-1"})
	w := &serverWorld{e: e, srv: srv, public: newFileMirror(t, e.root),
		bucketURL: e.gw.Endpoint + "/" + testBucket + "/" + testPrefix}
	mirrors := filepath.Join(t.TempDir(), "mirrors.yaml")
	yml := fmt.Sprintf(`locations:
  - name: %s
mirrors:
  - name: %s
    country: US
    bandwidth: 100000
    region: %s
    bucket: %s
    locations: [%s]
    always_up_to_date: false
    urls: [%s]
  - name: %s
    country: DE
    bandwidth: 100
    always_up_to_date: true
    urls: [%s]
`, testRegion, testMirror, testRegion, testBucket, testRegion, w.bucketURL, publicMirror, w.public.URL)
	if err := os.WriteFile(mirrors, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	srv.must("import", mirrors)
	srv.must("scan", "--root", e.root)
	w.admin = srv.token("admin")
	w.report = srv.token("report:" + testMirror)
	w.other = srv.token("report:" + publicMirror)
	srv.serve()
	e.serverURL = srv.URL
	w.config = e.writeConfig()
	return w
}

// mirrorSync runs the mirror-sync command line with token in the region's
// $MIRROR_SYNC_TOKEN_US_EAST_1 and returns its exit code, its output and
// the S3 requests it made.
func (w *serverWorld) mirrorSync(token string, args ...string) (int, string, map[string]int) {
	getenv := func(k string) string {
		if k == "MIRROR_SYNC_TOKEN_US_EAST_1" {
			return token
		}
		return w.e.getenv(k)
	}
	var out bytes.Buffer
	w.e.proxy.counts()
	code := Main(context.Background(), Env{Getenv: getenv, Stdout: &out, Stderr: &out}, append(args, "--config", w.config))
	return code, out.String(), w.e.proxy.counts()
}

// bucketFirst says whether a metalink's URLs start with the bucket and
// also list the public mirror (the regional mirror is never alone).
func (w *serverWorld) bucketFirst(urls []string) bool {
	return len(urls) > 1 && strings.HasPrefix(urls[0], w.bucketURL+"/") && w.lists(urls, w.public.URL)
}

// noBucket says whether a metalink lists the public mirror and not the bucket.
func (w *serverWorld) noBucket(urls []string) bool {
	return !w.lists(urls, w.bucketURL) && w.lists(urls, w.public.URL)
}

func (w *serverWorld) lists(urls []string, base string) bool {
	for _, u := range urls {
		if strings.HasPrefix(u, base+"/") {
			return true
		}
	}
	return false
}

// mirrorState asks the admin API whether a mirror is enabled and which
// repomd (sha256) the server holds it to serve, by directory. The API reads
// the store, not the snapshot, so a refused request's effect shows at once.
func (w *serverWorld) mirrorState(t *testing.T, name string) (bool, map[string]string) {
	t.Helper()
	code, body := w.srv.api(http.MethodGet, "/api/v1/mirrors/"+name, w.admin, nil)
	var m struct {
		Enabled   bool
		Freshness []struct{ Directory, SHA256 string }
	}
	if err := json.Unmarshal([]byte(body), &m); code != http.StatusOK || err != nil {
		t.Fatalf("GET mirror %s: HTTP %d %v\n%s", name, code, err, body)
	}
	out := map[string]string{}
	for _, f := range m.Freshness {
		out[f.Directory] = f.SHA256
	}
	return m.Enabled, out
}

// fileSize is the size of a log file, to read only what follows.
func fileSize(t *testing.T, name string) int64 {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// gatewayRequests reads versitygw's request lines ("time | vgw | status |
// duration | address | method | path | …") written after offset from, and
// returns the status of each "METHOD path".
func gatewayRequests(t *testing.T, name string, from int64) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(raw[from:]), "\n") {
		f := strings.Split(line, "|")
		if len(f) < 7 || strings.TrimSpace(f[1]) != "vgw" {
			continue
		}
		out[strings.TrimSpace(f[5])+" "+strings.TrimSpace(f[6])] = strings.TrimSpace(f[2])
	}
	return out
}

// fileMirror is a public mirror serving a tree over loopback HTTP; it
// records the paths asked for.
type fileMirror struct {
	URL   string
	mu    sync.Mutex
	paths []string
}

func newFileMirror(t *testing.T, root string) *fileMirror {
	t.Helper()
	m := &fileMirror{}
	files := http.StripPrefix("/pub", http.FileServer(http.Dir(root)))
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.paths = append(m.paths, r.URL.Path)
		m.mu.Unlock()
		files.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	m.URL = srv.URL + "/pub"
	return m
}

// requests returns the paths asked for so far.
func (m *fileMirror) requests() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.paths...)
}

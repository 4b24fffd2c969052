package mirrorsync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const (
	testRegion = "us-east-1"
	testBucket = "mirror-us-east-1"
	testPrefix = "pub/fedora"
	testMirror = "aws-us-east-1"
	testToken  = "secret-token-us-east-1"
	testDir    = "releases/41/Everything/x86_64/os"
)

// syncEnv is a master tree, a gateway with one bucket behind a counting
// proxy, and a report server: everything one region's sync needs.
type syncEnv struct {
	t         testing.TB
	root      string
	gw        *versity
	proxy     *s3Proxy
	server    *reportServer
	admin     *s3.Client
	extra     string // more YAML for the configuration
	source    string // overrides the local root as source
	serverURL string // overrides the report server (a real metalinkd)
	lockDir   string // the runs' lock files, the test's own
	endpoint  string // overrides the proxy as the region's S3 endpoint
}

func newSyncEnv(t testing.TB) *syncEnv {
	t.Helper()
	gw := startVersity(t)
	createBucket(t, gw.Endpoint, testBucket)
	useProfile(t, "mirror-test")
	root := t.TempDir()
	return &syncEnv{t: t, root: root, gw: gw, proxy: newS3Proxy(t, gw.Endpoint),
		server: newReportServer(t, root, map[string]string{testMirror: testToken}), admin: adminS3(gw.Endpoint),
		lockDir: t.TempDir()}
}

func (e *syncEnv) getenv(k string) string {
	switch k {
	case "MIRROR_SYNC_TOKEN_US_EAST_1":
		return testToken
	case "MIRROR_SYNC_LOCK_DIR":
		return e.lockDir
	}
	return ""
}

// writeConfig writes the configuration file and returns its path.
func (e *syncEnv) writeConfig() string {
	src, server := e.root, e.server.URL
	if e.source != "" {
		src = e.source
	}
	if e.serverURL != "" {
		server = e.serverURL
	}
	endpoint := e.proxy.URL
	if e.endpoint != "" {
		endpoint = e.endpoint
	}
	yml := fmt.Sprintf(`source: %s
server: %s
concurrency: 4
max_backoff: 20ms
%s
regions:
  - region: %s
    bucket: %s
    prefix: %s
    profile: mirror-test
    mirror: %s
    endpoint: %s
    path_style: true
`, src, server, e.extra, testRegion, testBucket, testPrefix, testMirror, endpoint)
	f := filepath.Join(e.t.TempDir(), "mirror-sync.yaml")
	if err := os.WriteFile(f, []byte(yml), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return f
}

// sync runs one sync in-process at the given time and returns its summary
// and the proxy's request counts.
func (e *syncEnv) sync(now time.Time, opts syncOptions) (*summary, map[string]int, string, error) {
	e.t.Helper()
	cfg, err := loadConfig(e.writeConfig(), e.getenv)
	if err != nil {
		e.t.Fatal(err)
	}
	src, err := newSource(cfg.Source, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	var out bytes.Buffer
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	e.proxy.counts()
	sums, err := syncRegions(context.Background(), cfg, opts, deps{Source: src, Log: log, Out: &out,
		Now: func() time.Time { return now }, Server: NewServerClient(cfg.Server, nil)})
	var sum *summary
	if len(sums) > 0 {
		sum = sums[0]
	}
	return sum, e.proxy.counts(), out.String(), err
}

// mustSync runs a sync that must succeed.
func (e *syncEnv) mustSync(now time.Time) (*summary, map[string]int) {
	e.t.Helper()
	sum, counts, _, err := e.sync(now, syncOptions{})
	if err != nil {
		e.t.Fatalf("sync: %v", err)
	}
	return sum, counts
}

// get reads an object as a client would, nil when absent.
func (e *syncEnv) get(treePath string) []byte {
	e.t.Helper()
	out, err := e.admin.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String(testPrefix + "/" + treePath)})
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return nil
	}
	if err != nil {
		e.t.Fatalf("get %s: %v", treePath, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// keys lists the bucket's keys under the test prefix, as tree paths.
func (e *syncEnv) keys() map[string]bool {
	e.t.Helper()
	out := map[string]bool{}
	p := s3.NewListObjectsV2Paginator(e.admin, &s3.ListObjectsV2Input{Bucket: aws.String(testBucket), Prefix: aws.String(testPrefix + "/")})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		for _, o := range page.Contents {
			out[strings.TrimPrefix(aws.ToString(o.Key), testPrefix+"/")] = true
		}
	}
	return out
}

// clientView checks what a client can see of dir in the bucket: if a
// repomd.xml is live, every file it references, and every package its
// primary lists, is present with the stated size and checksum. It returns
// the live repomd's sha256, or "" when none is live.
func (e *syncEnv) clientView(dir string) (string, error) {
	raw := e.get(repomdPath(dir))
	if raw == nil {
		return "", nil
	}
	md, err := parseRepomd(raw)
	if err != nil {
		return "", err
	}
	for _, d := range md.Data {
		body := e.get(path.Join(dir, d.Href))
		if err := checkBody(d.Href, body, d.Size, d.Checksum); err != nil {
			return "", err
		}
		if d.Type != "primary" {
			continue
		}
		plain, err := decompress(bytes.NewReader(body))
		if err != nil {
			return "", err
		}
		err = readPrimary(plain, func(p rpmPackage) error {
			return checkBody(p.Href, e.get(path.Join(dir, p.Href)), p.Size, p.Checksum)
		})
		if err != nil {
			return "", err
		}
	}
	return sha256Hex(raw), nil
}

func checkBody(name string, body []byte, size int64, sum sum) error {
	if body == nil {
		return fmt.Errorf("%s: missing", name)
	}
	if size >= 0 && int64(len(body)) != size {
		return fmt.Errorf("%s: size %d, want %d", name, len(body), size)
	}
	h, err := newHash(sum.Type)
	if err != nil {
		return err
	}
	h.Write(body)
	if got := fmt.Sprintf("%x", h.Sum(nil)); got != sum.Value {
		return fmt.Errorf("%s: %s %s, want %s", name, sum.Type, got, sum.Value)
	}
	return nil
}

// masterRepomd is the sha256 of dir's repomd.xml in the master tree.
func (e *syncEnv) masterRepomd(dir string) string {
	raw, err := os.ReadFile(filepath.Join(e.root, filepath.FromSlash(repomdPath(dir))))
	if err != nil {
		e.t.Fatal(err)
	}
	return sha256Hex(raw)
}

package mirrorsync

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// TestServerClient runs the report and forget client against the real
// metalinkd and checks how it reads each of the server's answers.
func TestServerClient(t *testing.T) {
	root := t.TempDir()
	dir := "releases/41/Everything/x86_64/os"
	repomd := []byte("<repomd><revision>1</revision></repomd>\n")
	if err := os.MkdirAll(filepath.Join(root, dir, "repodata"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, dir, "repodata", "repomd.xml"), repomd, 0o644); err != nil {
		t.Fatal(err)
	}
	mirrors := filepath.Join(t.TempDir(), "mirrors.yaml")
	yml := "mirrors:\n" +
		"  - {name: m1, country: US, bandwidth: 10, urls: [http://m1.example/pub]}\n" +
		"  - {name: m2, country: US, bandwidth: 10, urls: [http://m2.example/pub]}\n"
	if err := os.WriteFile(mirrors, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := newMetalinkd(t)
	srv.must("import", mirrors)
	srv.must("scan", "--root", root)
	t1, t2, admin := srv.token("report:m1"), srv.token("report:m2"), srv.token("admin")
	srv.serve()
	c := NewServerClient(srv.URL, nil)
	ctx := context.Background()
	cur := sha256Hex(repomd)
	tests := []struct {
		name, mirror, token, dir, sha string
		want                          error
	}{
		{"accepted", "m1", t1, dir, cur, nil},
		{"unknown sha", "m1", t1, dir, sha256Hex([]byte("x")), ErrConflict},
		{"token of another mirror", "m1", t2, dir, cur, ErrUnauthorized},
		{"unknown token", "m1", "not-a-token", dir, cur, ErrUnauthorized},
		{"no token", "m1", "", dir, cur, ErrUnauthorized},
		{"unknown mirror", "m9", admin, dir, cur, ErrNotFound},
		{"unknown directory", "m1", t1, "releases/1", cur, ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Report(ctx, tc.mirror, tc.token, tc.dir, tc.sha)
			if (tc.want == nil && err != nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("Report = %v, want %v", err, tc.want)
			}
		})
	}
	if n, err := c.Forget(ctx, "m1", t2, "releases/41/"); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("Forget with the token of another mirror = %d, %v", n, err)
	}
	if n, err := c.Forget(ctx, "m1", t1, "releases/41/"); err != nil || n != 1 {
		t.Errorf("Forget = %d, %v", n, err)
	}
}

// TestServerClientRetries5xx retries a server error and gives up on a 4xx.
func TestServerClientRetries5xx(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c := NewServerClient(srv.URL, nil)
	c.backoff = time.Millisecond
	if err := c.Report(context.Background(), "m", "t", "d", "s"); err != nil || calls.Load() != 3 {
		t.Errorf("Report = %v after %d calls", err, calls.Load())
	}
}

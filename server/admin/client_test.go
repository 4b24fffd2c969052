package admin

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	mirrorsync "github.com/metalinkd/metalinkd/mirror-sync"
)

// The sync job's own client, against the real API: the contract of
// reports and forgets as mirror-sync relies on it.
func TestMirrorSyncClient(t *testing.T) { eachStore(t, testMirrorSyncClient) }

func testMirrorSyncClient(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	c := mirrorsync.NewServerClient(strings.TrimSuffix(f.url, "/api/v1"), http.DefaultClient)
	ctx := context.Background()
	tok := f.secrets["report:m2"]

	if err := c.Report(ctx, "m2", tok, dir, shaNow); err != nil {
		t.Errorf("Report of the current repomd: %v", err)
	}
	if err := c.Report(ctx, "m2", tok, dir, shaOther); !errors.Is(err, mirrorsync.ErrConflict) || !strings.Contains(err.Error(), "neither the current one") {
		t.Errorf("Report of an unknown repomd: %v, want ErrConflict with the reason", err)
	}
	if err := c.Report(ctx, "m2", tok, "releases/40", shaNow); !errors.Is(err, mirrorsync.ErrNotFound) {
		t.Errorf("Report for an unknown directory: %v, want ErrNotFound", err)
	}
	for _, bad := range []struct{ mirror, token string }{{"m1", tok}, {"m2", f.secrets["revoked"]}, {"m2", NewSecret()}} {
		if err := c.Report(ctx, bad.mirror, bad.token, dir, shaNow); !errors.Is(err, mirrorsync.ErrUnauthorized) {
			t.Errorf("Report for %s with a foreign token: %v, want ErrUnauthorized", bad.mirror, err)
		}
		if _, err := c.Forget(ctx, bad.mirror, bad.token, "releases/41/"); !errors.Is(err, mirrorsync.ErrUnauthorized) {
			t.Errorf("Forget for %s with a foreign token: %v, want ErrUnauthorized", bad.mirror, err)
		}
	}
	if n, err := c.Forget(ctx, "m2", tok, "releases/41/"); err != nil || n != 1 {
		t.Errorf("Forget = %d, %v; want 1", n, err)
	}
	if got := freshnessOf(t, f, "m2"); len(got) != 0 {
		t.Errorf("m2 still fresh for %v", got)
	}
}

package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/adminapi"
	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// reloadBound is issue 3's requirement: a change made through one replica
// reaches the metalinks of every other replica within 2 s.
const reloadBound = 2 * time.Second

// TestReplicasReload runs two servers on one database and makes changes
// through replica a's admin API with an admin token made by `token create`
// on the same database; each change must show in replica b's metalink
// within reloadBound. Changes made by a command outside any replica reach
// a replica the same way (TestDatabaseOutage).
func TestReplicasReload(t *testing.T) {
	dbURL := pg.NewDatabase(t, false)
	mustRun(t, dbURL, "migrate")
	seed(t, dbURL)
	token := strings.TrimSpace(mustRun(t, dbURL, "token", "create", "--scope", "admin"))
	a := startReplica(t, "a", dbURL)
	b := startReplica(t, "b", dbURL)
	for _, r := range []*replica{a, b} {
		_, body, err := httpGet(r.url + metalinkPath)
		if err != nil || !lists(body, "alpha.example") || lists(body, "beta.example") {
			t.Fatalf("replica %s before any change (%v):\n%s", r.name, err, body)
		}
	}

	sum := sha256.Sum256([]byte(fixtureRepomd))
	api := adminapi.NewClient(a.url, token, adminapi.WithTimeout(30*time.Second))
	changes := []struct {
		what   string
		change func(context.Context) error
		host   string
		show   bool
	}{
		{"beta reported fresh", func(ctx context.Context) error {
			_, err := api.Report(ctx, "beta", adminapi.Report{Directory: fixtureDir, SHA256: hex.EncodeToString(sum[:])})
			return err
		}, "beta.example", true},
		{"alpha disabled", func(ctx context.Context) error {
			_, err := api.Do(ctx, http.MethodPost, "/mirrors/alpha/disable", nil, nil)
			return err
		}, "alpha.example", false},
	}
	for _, c := range changes {
		start := time.Now()
		err := c.change(context.Background())
		committed := time.Since(start)
		if err != nil {
			t.Fatalf("%s: replica a's API: %v", c.what, err)
		}
		took, ok := waitMetalink(b, c.host, c.show, start, 10*time.Second)
		if !ok {
			t.Fatalf("%s: replica b did not show it within %v", c.what, took)
		}
		t.Logf("%s: replica a's API answered in %v; replica b showed the change %v after the request started",
			c.what, committed.Round(time.Millisecond), took.Round(time.Millisecond))
		if took > reloadBound {
			t.Errorf("%s: replica b showed the change after %v, want within %v", c.what, took, reloadBound)
		}
		if _, ok := waitMetalink(a, c.host, c.show, start, 10*time.Second); !ok {
			t.Errorf("%s: replica a did not show it", c.what)
		}
	}
}

// waitMetalink polls r's metalink every 50 ms until the mirror at host is
// listed (or, with show false, no longer listed), until limit after start,
// and returns the time from start to the last answer.
func waitMetalink(r *replica, host string, show bool, start time.Time, limit time.Duration) (time.Duration, bool) {
	ok := testpeer.Eventually(limit-time.Since(start), func() bool {
		code, body, err := httpGet(r.url + metalinkPath)
		return err == nil && code == 200 && lists(body, host) == show
	})
	return time.Since(start), ok
}

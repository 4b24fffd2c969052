package admin

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/internal/adminapi"
)

// The API's own Go client, as the CLI and mirror-sync use it, against the
// real API: the contract between the two.
func TestClient(t *testing.T) { eachStore(t, testClient) }

func testClient(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	base := strings.TrimSuffix(f.url, "/api/v1")
	c := adminapi.NewClient(base, f.secrets["admin"], adminapi.WithTimeout(time.Minute))
	ctx := context.Background()

	var list adminapi.MirrorList
	raw, err := c.Do(ctx, http.MethodGet, "/mirrors", nil, &list)
	if err != nil || len(list.Mirrors) != 2 || list.Mirrors[1].ASN != 64500 || !strings.Contains(string(raw), `"mirrors"`) {
		t.Errorf("GET /mirrors = %+v, %v", list, err)
	}
	var one adminapi.MirrorDetail
	if _, err := c.Do(ctx, http.MethodGet, "/mirrors/m1", nil, &one); err != nil || one.Bucket != "fedora-us-east-1" || len(one.Freshness) != 1 {
		t.Errorf("GET /mirrors/m1 = %+v, %v", one, err)
	}

	loc := adminapi.Location{Name: "ap-south-1", Description: "Mumbai"}
	var created adminapi.Location
	if _, err := c.Do(ctx, http.MethodPost, "/locations", loc, &created); err != nil || !cmp.Equal(loc, created) {
		t.Errorf("POST /locations = %+v, %v", created, err)
	}
	// An error answer keeps the server's status and message.
	_, err = c.Do(ctx, http.MethodPost, "/locations", loc, nil)
	var ae *adminapi.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusConflict || ae.Message != `location "ap-south-1" already exists` {
		t.Errorf("second POST /locations: %v, want 409 with the server's message", err)
	}
	// And the fields of a validation error.
	_, err = c.Do(ctx, http.MethodPost, "/mirrors", adminapi.Mirror{Name: "m4", Bandwidth: 1, URLs: []string{"x.example"}}, nil)
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || len(ae.Fields) == 0 ||
		!strings.Contains(err.Error(), "invalid data (HTTP 400)\n  ") {
		t.Errorf("POST of an invalid mirror: %v, want 400 with its fields", err)
	}
	_, err = adminapi.NewClient(base, "not-a-token").Do(ctx, http.MethodGet, "/mirrors", nil, nil)
	if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized {
		t.Errorf("GET with an unknown token: %v, want 401", err)
	}

	testClientReports(t, f, base)
}

// testClientReports is the contract of reports and forgets, as a sync job
// makes them with its mirror's token.
func testClientReports(t *testing.T, f *fixture, base string) {
	ctx := context.Background()
	c := adminapi.NewClient(base, f.secrets["report:m2"])
	status := func(err error) int {
		var ae *adminapi.Error
		if errors.As(err, &ae) {
			return ae.Status
		}
		return 0
	}

	fr, err := c.Report(ctx, "m2", adminapi.Report{Directory: dir, SHA256: shaNow})
	if err != nil || fr.Mirror != "m2" || fr.SHA256 != shaNow || !fr.Reported.Equal(t0.Add(time.Hour)) {
		t.Errorf("Report of the current repomd = %+v, %v", fr, err)
	}
	_, err = c.Report(ctx, "m2", adminapi.Report{Directory: dir, SHA256: shaOther})
	if status(err) != http.StatusConflict || !strings.Contains(err.Error(), "neither the current one") {
		t.Errorf("Report of an unknown repomd: %v, want 409 with the reason", err)
	}
	if _, err := c.Report(ctx, "m2", adminapi.Report{Directory: "releases/40", SHA256: shaNow}); status(err) != http.StatusNotFound {
		t.Errorf("Report for an unknown directory: %v, want 404", err)
	}
	for _, bad := range []struct {
		mirror, token string
		want          int
	}{
		{"m1", f.secrets["report:m2"], http.StatusForbidden},
		{"m2", f.secrets["revoked"], http.StatusUnauthorized},
		{"m2", NewSecret(), http.StatusUnauthorized},
	} {
		c := adminapi.NewClient(base, bad.token)
		if _, err := c.Report(ctx, bad.mirror, adminapi.Report{Directory: dir, SHA256: shaNow}); status(err) != bad.want {
			t.Errorf("Report for %s with a foreign token: %v, want %d", bad.mirror, err, bad.want)
		}
		if _, err := c.Forget(ctx, bad.mirror, "releases/41/"); status(err) != bad.want {
			t.Errorf("Forget for %s with a foreign token: %v, want %d", bad.mirror, err, bad.want)
		}
	}
	if n, err := c.Forget(ctx, "m2", "releases/41/"); err != nil || n != 1 {
		t.Errorf("Forget = %d, %v; want 1", n, err)
	}
	if got := freshnessOf(t, f, "m2"); len(got) != 0 {
		t.Errorf("m2 still fresh for %v", got)
	}
}

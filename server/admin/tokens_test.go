package admin

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

func TestTokenLifecycle(t *testing.T) { eachStore(t, testTokenLifecycle) }

func testTokenLifecycle(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	var created tokenView
	f.admin(http.MethodPost, "/tokens", map[string]any{"name": "sync us-east-1", "scopes": []string{"report:m1"}}, http.StatusCreated, &created)
	if !strings.HasPrefix(created.Secret, SecretPrefix) || len(created.Secret) != len(SecretPrefix)+43 {
		t.Fatalf("secret %q: want %s and 43 base64url characters (256 bits)", created.Secret, SecretPrefix)
	}
	if created.Name != "sync us-east-1" || created.ID == "" || created.Revoked != nil || len(created.Scopes) != 1 {
		t.Errorf("created %+v", created)
	}
	// Only the hash is stored, never the secret.
	stored, err := f.st.TokenByHash(context.Background(), HashSecret(created.Secret))
	if err != nil || stored.ID != created.ID {
		t.Fatalf("stored token %+v, %v", stored, err)
	}
	if e, ok := f.st.(*sqlite.Store); ok && bytes.Contains(embeddedFiles(t, e), []byte(created.Secret)) {
		t.Error("the secret is in the store's files")
	}

	f.secrets["new"] = created.Secret
	if a := f.do(http.MethodPost, "/mirrors/m1/report", "new", map[string]string{"directory": dir, "sha256": shaNow}); a.status != http.StatusOK {
		t.Errorf("report with the new token = %d %s", a.status, a.body)
	}
	a := f.admin(http.MethodGet, "/tokens", nil, http.StatusOK, nil)
	if bytes.Contains(a.body, []byte(created.Secret)) || bytes.Contains(a.body, []byte(`"hash"`)) || bytes.Contains(a.body, []byte(`"secret"`)) {
		t.Errorf("token list shows secrets or hashes: %s", a.body)
	}
	if !bytes.Contains(a.body, []byte(created.ID)) {
		t.Errorf("token list lacks the new token: %s", a.body)
	}

	f.admin(http.MethodDelete, "/tokens/"+created.ID, nil, http.StatusNoContent, nil)
	if a := f.do(http.MethodPost, "/mirrors/m1/report", "new", map[string]string{"directory": dir, "sha256": shaNow}); a.status != http.StatusUnauthorized || a.error().Error != "the token has been revoked" {
		t.Errorf("report with a revoked token = %d %s", a.status, a.body)
	}
	f.admin(http.MethodDelete, "/tokens/nosuchtoken", nil, http.StatusNotFound, nil)
}

func TestAuthentication(t *testing.T) { eachStore(t, testAuthentication) }

func testAuthentication(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	tests := []struct{ name, header, msg string }{
		{"no header", "", "a bearer token is required"},
		{"basic auth", "Basic YWRtaW46YWRtaW4=", "a bearer token is required"},
		{"empty bearer", "Bearer ", "a bearer token is required"},
		{"unknown secret", "Bearer " + NewSecret(), "the token is not valid"},
		{"hash instead of secret", "Bearer " + hex.EncodeToString(HashSecret(f.secrets["admin"])), "the token is not valid"},
		{"revoked", "Bearer " + f.secrets["revoked"], "the token has been revoked"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.t = t
			a := f.do(http.MethodGet, "/mirrors", tc.header, nil)
			if a.status != http.StatusUnauthorized || !strings.HasPrefix(a.error().Error, tc.msg) {
				t.Errorf("= %d %s, want 401 %q", a.status, a.body, tc.msg)
			}
			if got := a.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate %q", got)
			}
		})
	}
	f.t = t
	// The scheme is case-insensitive.
	if a := f.do(http.MethodGet, "/mirrors", "bearer "+f.secrets["admin"], nil); a.status != http.StatusOK {
		t.Errorf("lower-case scheme = %d %s", a.status, a.body)
	}
}

// Every change made through the API is in the audit log with the token
// that made it, and the log pages.
func TestAudit(t *testing.T) { eachStore(t, testAudit) }

func testAudit(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	f.admin(http.MethodPost, "/mirrors/m2/disable", nil, http.StatusOK, nil)
	f.admin(http.MethodPost, "/locations", map[string]string{"name": "ap-south-1"}, http.StatusCreated, nil)
	if a := f.do(http.MethodPost, "/mirrors/m1/report", "report:m1", map[string]string{"directory": dir, "sha256": shaOld}); a.status != http.StatusOK {
		t.Fatalf("report = %d %s", a.status, a.body)
	}
	f.admin(http.MethodDelete, "/tokens/"+f.ids["report:m2"], nil, http.StatusNoContent, nil)

	var page auditPage
	f.admin(http.MethodGet, "/audit?limit=4", nil, http.StatusOK, &page)
	want := []struct{ actor, action, target string }{
		{"token:" + f.ids["admin"], "revoke_token", f.ids["report:m2"]},
		{"token:" + f.ids["report:m1"], "report", "m1"},
		{"token:" + f.ids["admin"], "put_location", "ap-south-1"},
		{"token:" + f.ids["admin"], "update_mirror", "m2"},
	}
	if len(page.Entries) != len(want) {
		t.Fatalf("audit = %+v", page.Entries)
	}
	for i, w := range want {
		e := page.Entries[i]
		if e.Actor != w.actor || e.Action != w.action || e.Target != w.target || e.At.IsZero() {
			t.Errorf("entry %d = %+v, want %+v", i, e, w)
		}
	}
	if page.Next != page.Entries[3].ID {
		t.Errorf("next = %d, want %d", page.Next, page.Entries[3].ID)
	}
	var older auditPage
	f.admin(http.MethodGet, "/audit?limit=1&before="+itoa(page.Next), nil, http.StatusOK, &older)
	if len(older.Entries) != 1 || older.Entries[0].ID >= page.Next || older.Entries[0].Action != "revoke_token" || older.Entries[0].Actor != "test" {
		t.Errorf("older page = %+v, want the fixture's revocation", older.Entries)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// embeddedFiles returns the content of every file of an embedded store.
func embeddedFiles(t *testing.T, st *sqlite.Store) []byte {
	t.Helper()
	entries, err := os.ReadDir(st.Dir())
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(st.Dir(), e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if len(all) == 0 {
		t.Fatal("the store wrote no file")
	}
	return all
}

// failingStore fails every read with an error whose text must not reach
// clients.
type failingStore struct{ store.Store }

var errSecretDetail = errors.New("connection to 10.1.2.3 user=metalinkd password=hunter2 refused")

func (failingStore) Load(context.Context) (*store.Dataset, error)    { return nil, errSecretDetail }
func (failingStore) Mirrors(context.Context) ([]store.Mirror, error) { return nil, errSecretDetail }
func (failingStore) Mirror(context.Context, string) (store.Mirror, error) {
	return store.Mirror{}, errSecretDetail
}
func (failingStore) Locations(context.Context) ([]store.Location, error) { return nil, errSecretDetail }
func (failingStore) Repositories(context.Context) ([]store.Repository, error) {
	return nil, errSecretDetail
}
func (failingStore) Redirects(context.Context) ([]store.Redirect, error) { return nil, errSecretDetail }
func (failingStore) Directories(context.Context, string) ([]store.Directory, error) {
	return nil, errSecretDetail
}

func TestInternalErrorsHidden(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := newFixtureOn(t, st, failingStore{st})
	a := f.do(http.MethodGet, "/mirrors", "admin", nil)
	if a.status != http.StatusInternalServerError || a.error().Error != "Internal Server Error" || bytes.Contains(a.body, []byte("hunter2")) {
		t.Errorf("= %d %s, want 500 with the status text only", a.status, a.body)
	}
	id := a.header.Get("X-Request-Id")
	if id == "" || !strings.Contains(f.log.String(), "request_id="+id) || !strings.Contains(f.log.String(), "hunter2") {
		t.Errorf("request id %q; log:\n%s", id, f.log.String())
	}
}

// unavailableStore fails every read as a store that cannot be reached does.
type unavailableStore struct{ failingStore }

var errUnreachable = fmt.Errorf("postgres: read: %w", store.ErrUnavailable)

func (unavailableStore) Mirrors(context.Context) ([]store.Mirror, error) { return nil, errUnreachable }

// TestUnavailableStoreIs503 checks that a store that cannot be reached (a
// database down or frozen past the call's deadline) answers 503, which a
// client may retry, not 500.
func TestUnavailableStoreIs503(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := newFixtureOn(t, st, unavailableStore{failingStore{st}})
	if a := f.do(http.MethodGet, "/mirrors", "admin", nil); a.status != http.StatusServiceUnavailable || a.error().Error != "Service Unavailable" {
		t.Errorf("= %d %s, want 503 with the status text", a.status, a.body)
	}
}

func TestUnknownRoutes(t *testing.T) { eachStore(t, testUnknownRoutes) }

func testUnknownRoutes(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	if a := f.do(http.MethodGet, "/nothing", "admin", nil); a.status != http.StatusNotFound || a.error().Error != "no such endpoint" {
		t.Errorf("unknown path = %d %s", a.status, a.body)
	}
	a := f.do(http.MethodPatch, "/locations/us-east-1", "admin", nil)
	if a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != "GET, PUT, DELETE" {
		t.Errorf("PATCH location = %d Allow %q %s", a.status, a.header.Get("Allow"), a.body)
	}
}

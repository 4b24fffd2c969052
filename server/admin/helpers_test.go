package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/postgres"
	"github.com/metalinkd/metalinkd/store/postgres/pgtest"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// The fixture's directory and the sha256 of its current and alternate repomd.
const (
	dir      = "releases/41/Everything/x86_64/os"
	shaNow   = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	shaOld   = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	shaOther = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// fixtureData is a small mirror network: a regional bucket m1 fresh for
// dir, a public mirror m2 not yet reported, two locations (one unused), a
// repository, a redirect, and dir with a current and an alternate repomd.
func fixtureData() *store.Dataset {
	return &store.Dataset{
		Locations: []store.Location{{Name: "eu-west-1"}, {Name: "us-east-1", Description: "AWS US East"}},
		Mirrors: []store.Mirror{
			{Name: "m1", Country: "US", Bandwidth: 1000, Enabled: true, URLs: []string{"https://m1.example/pub"},
				Locations: []string{"us-east-1"}, Region: "us-east-1", Bucket: "fedora-us-east-1"},
			{Name: "m2", Country: "DE", Bandwidth: 100, Enabled: true, URLs: []string{"http://m2.example/pub"},
				Netblocks: []string{"192.0.2.0/24"}, ASN: 64500},
		},
		Repositories: []store.Repository{{Prefix: "fedora-41", Arch: "x86_64", Directory: dir}},
		Redirects:    []store.Redirect{{From: "fedora-rawhide", To: "rawhide"}},
		Directories: []store.Directory{{Path: dir,
			Current:    store.Repomd{Size: 3000, Timestamp: 1_795_000_000, SHA256: shaNow, Recorded: t0},
			Alternates: []store.Repomd{{Size: 2900, Timestamp: 1_794_000_000, SHA256: shaOld, Recorded: t0.Add(-time.Hour), Superseded: t0}},
		}},
		Freshness: []store.Freshness{{Mirror: "m1", Directory: dir, SHA256: shaNow, Reported: t0}},
	}
}

// fixture is the admin API on a store holding fixtureData, with a token
// per credential kind.
type fixture struct {
	t       *testing.T
	st      store.Store
	url     string
	log     *bytes.Buffer
	secrets map[string]string // by kind: admin, report:m1, report:m2, revoked
	ids     map[string]string // token ids by kind
	api     *API
}

var pg *pgtest.Server

func TestMain(m *testing.M) {
	pg = pgtest.Connect()
	code := m.Run()
	pg.Close()
	os.Exit(code)
}

// storeKind opens a new, empty store of one kind for a test.
type storeKind struct {
	name string
	open func(t *testing.T) store.Store
}

// storeKinds are the stores the API is tested on. PostgreSQL tests skip
// when no server is reachable (and fail when CI=true).
var storeKinds = []storeKind{
	{"embedded", func(t *testing.T) store.Store {
		st, err := sqlite.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
	{"postgres", func(t *testing.T) store.Store {
		url := pg.NewDatabase(t, true)
		st, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		pgURLs.Store(st, url)
		return st
	}},
}

// pgURLs holds the database URL of each PostgreSQL store a test opened, so
// that a test can open another connection to it, as a second replica would.
var pgURLs sync.Map // of *postgres.Store to string

// eachStore runs test once per store kind.
func eachStore(t *testing.T, test func(t *testing.T, kind storeKind)) {
	for _, k := range storeKinds {
		t.Run(k.name, func(t *testing.T) { test(t, k) })
	}
}

func newFixture(t *testing.T, kind storeKind) *fixture {
	t.Helper()
	st := kind.open(t)
	return newFixtureOn(t, st, st)
}

// newFixtureOn serves the API on s (which may wrap st to fail on purpose),
// with st holding the fixture's data.
func newFixtureOn(t *testing.T, st, s store.Store) *fixture {
	t.Helper()
	f := &fixture{t: t, st: st, log: &bytes.Buffer{}}
	f.seed(t)
	f.serve(Options{Store: s, Now: func() time.Time { return t0.Add(time.Hour) }, FailureBudget: testBudget})
	return f
}

// serve points the fixture at a new API server with opts, logging to f.log
// and stopping with the test.
func (f *fixture) serve(opts Options) {
	f.t.Helper()
	opts.Log = slog.New(slog.NewTextHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.Context = f.t.Context()
	f.api = newAPI(opts)
	r := chi.NewRouter()
	r.Mount("/api/v1", f.api.routes())
	srv := httptest.NewServer(r)
	f.t.Cleanup(srv.Close)
	f.url = srv.URL + "/api/v1"
}

// testBudget lets the tests send many bad tokens from one address; the
// budget's own tests set theirs.
var testBudget = FailureBudget{Failures: 1 << 20, Window: time.Minute}

// seed puts fixtureData in the store, replacing what is there, and makes
// new tokens of every kind; tokens made before stay but are no longer used.
func (f *fixture) seed(t *testing.T) {
	t.Helper()
	f.t = t
	ctx := store.WithActor(context.Background(), "test")
	if err := f.st.Restore(ctx, fixtureData()); err != nil {
		t.Fatal(err)
	}
	f.secrets, f.ids = map[string]string{}, map[string]string{}
	for _, kind := range []string{"admin", "report:m1", "report:m2", "revoked"} {
		scope := kind
		if kind == "revoked" {
			scope = store.ScopeAdmin
		}
		secret, tok, err := IssueToken(ctx, f.st, f.st, "fixture "+kind, []string{scope}, t0)
		if err != nil {
			t.Fatal(err)
		}
		f.secrets[kind], f.ids[kind] = secret, tok.ID
	}
	if err := f.st.RevokeToken(ctx, f.ids["revoked"], t0); err != nil {
		t.Fatal(err)
	}
	// The tokens were written behind the API's back, as by another replica;
	// rather than wait for the store's change signal, drop the API's index.
	if f.api != nil {
		f.api.index.invalidate()
	}
}

// answer is one HTTP answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// errorAnswer decodes an error body.
func (a answer) error() errorBody {
	var e errorBody
	json.Unmarshal(a.body, &e)
	return e
}

// fields lists the fields named by a 400 answer.
func (a answer) fields() []string {
	var out []string
	for _, f := range a.error().Fields {
		out = append(out, f.Field)
	}
	return out
}

// do sends a request with the secret of kind (or, for any other value,
// that literal Authorization header; "" sends none). body is sent as is
// when it is a string, else as JSON.
func (f *fixture) do(method, path, kind string, body any) answer {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, f.url+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if s, ok := f.secrets[kind]; ok {
		req.Header.Set("Authorization", "Bearer "+s)
	} else if kind != "" {
		req.Header.Set("Authorization", kind)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

// admin sends a request with the admin token and fails the test unless it
// gets want; it decodes the answer into out when out is not nil.
func (f *fixture) admin(method, path string, body any, want int, out any) answer {
	f.t.Helper()
	a := f.do(method, path, "admin", body)
	if a.status != want {
		f.t.Fatalf("%s %s = %d %s, want %d", method, path, a.status, a.body, want)
	}
	if out != nil {
		if err := json.Unmarshal(a.body, out); err != nil {
			f.t.Fatalf("%s %s: decoding %s: %v", method, path, a.body, err)
		}
	}
	return a
}

// state is everything stored: the dataset, the tokens and the newest audit
// entry (the log is only appended to).
type state struct {
	Data   *store.Dataset
	Tokens []store.Token
	Audit  []store.AuditEntry
}

func (f *fixture) state() state {
	f.t.Helper()
	ctx := context.Background()
	d, err := f.st.Load(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	ts, err := f.st.ListTokens(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	audit, err := f.st.ListAudit(ctx, 1, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return state{d, ts, audit}
}

var stateOpts = cmp.Options{cmpopts.EquateEmpty()}

// unchanged fails the test when the stored state differs from before.
func (f *fixture) unchanged(what string, before state) {
	f.t.Helper()
	after := f.state()
	if reflect.DeepEqual(before, after) {
		return // cmp.Diff is slow on equal values, and this runs per request of the scope matrix
	}
	if diff := cmp.Diff(before, after, stateOpts); diff != "" {
		f.t.Errorf("%s changed the store (-before +after):\n%s", what, diff)
	}
}

func (f *fixture) mirror(name string) store.Mirror {
	f.t.Helper()
	m, err := f.st.Mirror(context.Background(), name)
	if err != nil {
		f.t.Fatalf("mirror %q: %v", name, err)
	}
	return m
}

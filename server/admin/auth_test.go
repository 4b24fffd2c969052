package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/postgres"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// tokenReadCounter counts the store's token reads.
type tokenReadCounter struct {
	store.Store
	reads atomic.Int64
}

func (c *tokenReadCounter) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	c.reads.Add(1)
	return c.Store.TokenByHash(ctx, hash)
}

func (c *tokenReadCounter) ListTokens(ctx context.Context) ([]store.Token, error) {
	c.reads.Add(1)
	return c.Store.ListTokens(ctx)
}

// Checking a token, good or bad, reads no store once the API knows the
// tokens: a flood of bogus tokens must not cost a store read each.
func TestTokenCheckReadsNoStore(t *testing.T) { eachStore(t, testTokenCheckReadsNoStore) }

func testTokenCheckReadsNoStore(t *testing.T, kind storeKind) {
	st := kind.open(t)
	counter := &tokenReadCounter{Store: st}
	f := newFixtureOn(t, st, counter)
	f.admin(http.MethodGet, "/locations", nil, http.StatusOK, nil) // loads the tokens once
	counter.reads.Store(0)
	for range 20 {
		if a := f.do(http.MethodGet, "/locations", "Bearer "+NewSecret(), nil); a.status != http.StatusUnauthorized {
			t.Fatalf("bogus token: %d %s", a.status, a.body)
		}
		f.admin(http.MethodGet, "/locations", nil, http.StatusOK, nil)
	}
	if n := counter.reads.Load(); n != 0 {
		t.Errorf("40 token checks read the store's tokens %d times, want 0", n)
	}
}

// secondReplica opens another store on st's data (as another server
// process would) and serves the API on it with f's tokens.
func secondReplica(t *testing.T, f *fixture, kind storeKind) *fixture {
	t.Helper()
	var st2 store.Store
	var err error
	switch st := f.st.(type) {
	case *sqlite.Store:
		st2, err = sqlite.Open(context.Background(), st.Dir())
	case *postgres.Store:
		url, _ := pgURLs.Load(st)
		st2, err = postgres.Open(context.Background(), url.(string))
	}
	if err != nil || st2 == nil {
		t.Fatalf("opening a second %s store: %v", kind.name, err)
	}
	t.Cleanup(func() { st2.Close() })
	g := &fixture{t: t, st: st2, log: f.log, secrets: f.secrets, ids: f.ids}
	g.serve(Options{Store: st2, FailureBudget: testBudget})
	return g
}

// A revoked token stops working at once on the replica that revoked it,
// and on the others once the store signals the change.
func TestRevokeReachesReplicas(t *testing.T) { eachStore(t, testRevokeReachesReplicas) }

func testRevokeReachesReplicas(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	g := secondReplica(t, f, kind)
	var created tokenView
	f.admin(http.MethodPost, "/tokens", map[string]any{"scopes": []string{"admin"}}, http.StatusCreated, &created)
	f.secrets["new"] = created.Secret
	for _, r := range []*fixture{f, g} {
		waitStatus(t, r, "new", http.StatusOK)
	}
	f.admin(http.MethodDelete, "/tokens/"+created.ID, nil, http.StatusNoContent, nil)
	if a := f.do(http.MethodGet, "/locations", "new", nil); a.status != http.StatusUnauthorized {
		t.Errorf("revoked token on the revoking replica: %d %s", a.status, a.body)
	}
	waitStatus(t, g, "new", http.StatusUnauthorized)
}

// waitStatus polls f with the token of kind until it gets want; the
// change signal takes up to a poll interval (embedded) or a notification.
func waitStatus(t *testing.T, f *fixture, kind string, want int) {
	t.Helper()
	var a answer
	for range 100 {
		if a = f.do(http.MethodGet, "/locations", kind, nil); a.status == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("after 5s, %d %s; want %d", a.status, a.body, want)
}

// After Failures bad tokens in a window a client gets 429 with
// Retry-After, even with a good token and without any store read, until
// the window ends.
func TestFailureBudget(t *testing.T) { eachStore(t, testFailureBudget) }

func testFailureBudget(t *testing.T, kind storeKind) {
	st := kind.open(t)
	counter := &tokenReadCounter{Store: st}
	f := newFixtureOn(t, st, counter)
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f.serve(Options{Store: counter, Now: clock, FailureBudget: FailureBudget{Failures: 3, Window: time.Minute}})

	for i := range 3 {
		if a := f.do(http.MethodGet, "/locations", "Bearer "+NewSecret(), nil); a.status != http.StatusUnauthorized {
			t.Fatalf("bad token %d: %d %s", i+1, a.status, a.body)
		}
		if i == 1 {
			f.admin(http.MethodGet, "/locations", nil, http.StatusOK, nil) // a good token uses none of the budget
		}
	}
	counter.reads.Store(0)
	for _, cred := range []string{"Bearer " + NewSecret(), "admin", "revoked"} {
		a := f.do(http.MethodGet, "/locations", cred, nil)
		if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") != "60" {
			t.Errorf("%s after 3 bad tokens: %d, Retry-After %q %s; want 429 after 60", cred, a.status, a.header.Get("Retry-After"), a.body)
		}
	}
	if n := counter.reads.Load(); n != 0 {
		t.Errorf("refusing a spent budget read the store's tokens %d times", n)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	f.admin(http.MethodGet, "/locations", nil, http.StatusOK, nil)
}

func TestFailuresBounded(t *testing.T) {
	f := newFailures(FailureBudget{Failures: 1, Window: time.Minute, MaxClients: 2})
	a, b, c := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("192.0.2.3")
	f.fail(a, t0)
	if f.blocked(a, t0) != time.Minute {
		t.Errorf("a is not blocked for a minute after its failure")
	}
	f.fail(b, t0)
	f.fail(c, t0)
	if f.lru.Len() != 2 || len(f.byAddr) != 2 {
		t.Errorf("%d clients tracked, want at most 2", f.lru.Len())
	}
	if f.blocked(a, t0) != 0 || f.blocked(c, t0) == 0 {
		t.Errorf("the oldest client should be forgotten, the newest kept")
	}
	// One host's IPv6 addresses share its /64's budget.
	f.fail(clientKey(netip.MustParseAddr("2001:db8:1:2::1")), t0)
	if f.blocked(clientKey(netip.MustParseAddr("2001:db8:1:2:ffff::9")), t0) == 0 {
		t.Errorf("another address of the same /64 is not blocked")
	}
	if clientKey(netip.MustParseAddr("::ffff:192.0.2.1")) != a {
		t.Errorf("a mapped IPv4 address has its own budget")
	}
}

// A token in the URL is refused, without echoing it, whether or not the
// request also has a good Authorization header.
func TestTokenInQuery(t *testing.T) { eachStore(t, testTokenInQuery) }

func testTokenInQuery(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	secret := f.secrets["admin"]
	for _, q := range []string{"access_token=" + secret, "Token=x", "api_key=x", "prefix=" + secret} {
		for _, cred := range []string{"", "admin"} {
			a := f.do(http.MethodGet, "/directories?"+q, cred, nil)
			if a.status != http.StatusBadRequest || !strings.Contains(a.error().Error, "Authorization header") {
				t.Errorf("?%s with %q: %d %s; want 400 naming the Authorization header", q, cred, a.status, a.body)
			}
			if strings.Contains(string(a.body), secret) || strings.Contains(f.log.String(), secret) {
				t.Errorf("?%s: the secret is echoed or logged", q)
			}
		}
	}
}

// canceledStore fails Locations as a store does when the request's
// context ends while it works.
type canceledStore struct{ store.Store }

func (c canceledStore) Locations(ctx context.Context) ([]store.Location, error) {
	<-ctx.Done()
	return nil, fmt.Errorf("store: locations: %w", ctx.Err())
}

// A store error caused by the client going away is logged at debug level
// with status 499, not as an internal error.
func TestClientGoneIsNotAnError(t *testing.T) { eachStore(t, testClientGoneIsNotAnError) }

func testClientGoneIsNotAnError(t *testing.T, kind storeKind) {
	st := kind.open(t)
	f := newFixtureOn(t, st, canceledStore{st})
	f.admin(http.MethodGet, "/mirrors", nil, http.StatusOK, nil) // loads the tokens
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/locations", nil)
	req.Header.Set("Authorization", "Bearer "+f.secrets["admin"])
	w := httptest.NewRecorder()
	time.AfterFunc(10*time.Millisecond, cancel)
	f.api.routes().ServeHTTP(w, req)
	if w.Code != StatusClientClosedRequest {
		t.Errorf("status %d, want %d", w.Code, StatusClientClosedRequest)
	}
	log := f.log.String()
	if strings.Contains(log, "level=ERROR") || !strings.Contains(log, "level=DEBUG") || !strings.Contains(log, "status=499") {
		t.Errorf("log:\n%s\nwant a debug line with status=499 and no error", log)
	}
}

// A load that a change raced is not kept: it may predate the change.
func TestTokenIndexLoadRacingAChange(t *testing.T) {
	var loads atomic.Int32
	var x *tokenIndex
	x = newTokenIndex(func(context.Context) ([]store.Token, error) {
		if loads.Add(1) == 1 {
			x.invalidate() // a change lands while the first load reads
		}
		return nil, nil
	})
	for range 2 {
		if _, err := x.tokens(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := loads.Load(); n != 2 {
		t.Errorf("%d loads, want 2: the raced one repeated, the second kept", n)
	}
}

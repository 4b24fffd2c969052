package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestReliabilityDatabaseFaults freezes (SIGSTOP) and then stops a
// throwaway PostgreSQL cluster under a replica that several clients ask for
// the metalink at once. Every metalink request must be answered 200 with
// mirrors throughout; during each fault /readyz must say degraded and
// admin requests with a valid token must get 503 within a bound, the first
// one too (sent before the server can have noticed the fault), and both
// must recover when the database does. The cluster helpers are
// cluster_test.go's and freeze_test.go's.
func TestReliabilityDatabaseFaults(t *testing.T) {
	c := newCluster(t)
	c.start(t)
	db := c.url()
	mustRun(t, db, "migrate")
	seed(t, db)
	var tok struct{ Secret string }
	if err := json.Unmarshal([]byte(mustRun(t, db, "token", "create", "--scope", "admin", "--json")), &tok); err != nil {
		t.Fatal(err)
	}
	r := startReplica(t, "faults", db)
	if code := adminGet(t, r, tok.Secret); code != http.StatusOK {
		t.Fatalf("admin request before the faults: %d, want 200", code)
	}
	load := startPhasedLoad(r, sized(4, 8))
	defer load.stop()
	hold := time.Duration(sized(2, 10)) * time.Second // how long each fault lasts

	time.Sleep(time.Second) // answers before the faults
	for _, f := range []struct {
		name         string
		fault, mend  func(*testing.T)
		whenDegraded string
	}{
		{"frozen", c.freeze, c.thaw, "the database froze"},
		{"stopped", func(t *testing.T) { c.stop(t, "fast") }, c.start, "the database stopped"},
	} {
		load.phase(f.name)
		f.fault(t)
		at := time.Now()
		// The first admin request may come before the server knows of
		// the fault: the store's deadlines must still make it fail.
		firstCode := adminGet(t, r, tok.Secret)
		firstTook := time.Since(at)
		if firstCode != http.StatusServiceUnavailable {
			t.Errorf("first admin request once the database is %s: %d, want 503", f.name, firstCode)
		}
		waitReadyz(t, r, "degraded", at, f.whenDegraded)
		toDegraded := time.Since(at)
		start := time.Now()
		code := adminGet(t, r, tok.Secret)
		adminTook := time.Since(start)
		if code != http.StatusServiceUnavailable {
			t.Errorf("admin request while the database is %s and /readyz degraded: %d, want 503", f.name, code)
		}
		time.Sleep(hold)
		load.phase("after " + f.name)
		f.mend(t)
		at = time.Now()
		waitReadyz(t, r, "ok", at, "the database came back")
		toOK := time.Since(at)
		if code := adminGet(t, r, tok.Secret); code != http.StatusOK {
			t.Errorf("admin request after the database was %s: %d, want 200", f.name, code)
		}
		figure(t, "database %s: first admin request answered %d in %v; /readyz degraded after %v; "+
			"then admin answered %d in %v; /readyz ok %v after the database came back",
			f.name, firstCode, firstTook.Round(time.Millisecond), toDegraded.Round(time.Millisecond),
			code, adminTook.Round(time.Millisecond), toOK.Round(time.Millisecond))
		time.Sleep(time.Second)
	}
	load.stop()
	for _, p := range load.phases() {
		figure(t, "metalink during %q: %s, %d failed", p.name, p.lat, p.failed)
		if p.failed > 0 {
			t.Errorf("%d metalink requests failed during %q; the first: %s", p.failed, p.name, p.first)
		}
	}
}

// adminBound is how long an admin request may take while the database
// is away: three times the store's read deadline (5 s), so that only a
// request left waiting on the database fails it.
const adminBound = 15 * time.Second

// adminGet lists the mirrors through the admin API with secret and
// returns the status; an answer later than adminBound fails t.
func adminGet(t *testing.T, r *replica, secret string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, r.url+"/api/v1/mirrors", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := (&http.Client{Timeout: adminBound}).Do(req)
	if err != nil {
		t.Fatalf("admin request (bound %v): %v", adminBound, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// phasedLoad is several clients asking for the metalink without pause,
// with the latencies and failures kept per named phase.
type phasedLoad struct {
	mu    sync.Mutex
	order []*loadPhase
	cur   *loadPhase
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
}

type loadPhase struct {
	name   string
	lat    latencies
	failed int
	first  string
}

func startPhasedLoad(r *replica, clients int) *phasedLoad {
	l := &phasedLoad{done: make(chan struct{})}
	l.phase("before")
	for range clients {
		l.wg.Go(func() {
			c := &http.Client{Timeout: 30 * time.Second}
			for !closed(l.done) {
				start := time.Now()
				code, body, err := getWith(c, r.url+metalinkPath)
				l.record(time.Since(start), code, body, err)
			}
		})
	}
	return l
}

func getWith(c *http.Client, url string) (int, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func (l *phasedLoad) record(d time.Duration, code int, body string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.cur
	p.lat = append(p.lat, d)
	if err != nil || code != http.StatusOK || !strings.Contains(body, "<url ") {
		p.failed++
		if p.first == "" {
			p.first = describe(code, body, err)
		}
	}
}

// phase starts a new phase: the requests from now on count under name.
func (l *phasedLoad) phase(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cur = &loadPhase{name: name}
	l.order = append(l.order, l.cur)
}

func (l *phasedLoad) stop() {
	l.once.Do(func() { close(l.done) })
	l.wg.Wait()
}

func (l *phasedLoad) phases() []*loadPhase {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order
}

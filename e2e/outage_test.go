package e2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// TestDatabaseOutage stops the database under a serving replica: every
// metalink request must still be answered from the last snapshot, /readyz
// must say degraded, and once the database is back the replica must
// reconnect by itself and pick up a change made meanwhile.
func TestDatabaseOutage(t *testing.T) {
	c := newCluster(t)
	c.start(t)
	db := c.url()
	mustRun(t, db, "migrate")
	seed(t, db)
	r := startReplica(t, "a", db)
	before := mirrorURLs(t, r)
	if len(before) != 1 || !lists(before[0], "alpha.example") {
		t.Fatalf("before the outage the metalink lists %q, want alpha alone", before)
	}

	load := startLoad(r)
	defer load.stop()
	watch := watchReadyz(r)
	defer watch.stop()
	time.Sleep(500 * time.Millisecond) // some answers before the outage

	c.stop(t, "fast")
	downAt, stopped := load.total.Load(), time.Now()
	waitReadyz(t, r, "degraded", stopped, "the database stopped")
	if got := mirrorURLs(t, r); !slices.Equal(got, before) {
		t.Errorf("during the outage the metalink lists %q, want %q", got, before)
	}
	res := metalinkdOn(t, db, "report", "--mirror", "beta", "--directory", fixtureDir)
	if res.code != 1 || !strings.HasPrefix(res.stderr, "metalinkd report: ") || !strings.Contains(res.stderr, "connect") {
		t.Errorf("report while the database is down: %+v, want exit 1 and a connection error", res)
	}
	t.Logf("report while the database is down: exit %d, %s", res.code, strings.TrimSpace(res.stderr))
	time.Sleep(time.Second) // answers while the database is away

	c.start(t)
	upAt, start := load.total.Load(), time.Now()
	mustRun(t, db, "report", "--mirror", "beta", "--directory", fixtureDir)
	if _, ok := waitMetalink(r, "beta.example", true, start, 20*time.Second); !ok {
		t.Fatal("the replica did not pick up the change made after the database came back")
	}
	t.Logf("the change made after the restart showed %v after the restart", time.Since(start).Round(time.Millisecond))
	waitReadyz(t, r, "ok", start, "the restart")

	load.stop()
	watch.stop()
	t.Logf("metalink requests: %d in all, %d while the database was down, %d failed",
		load.total.Load(), upAt-downAt, load.failed.Load())
	t.Logf("/readyz states seen, in order: %s", strings.Join(watch.states(), " → "))
	if n := load.failed.Load(); n != 0 {
		t.Errorf("%d of %d metalink requests failed; the first: %s", n, load.total.Load(), load.firstFailure())
	}
	if got := watch.states(); !slices.Equal(got, []string{"ok", "degraded", "ok"}) {
		t.Errorf("/readyz went through %q, want ok, degraded, ok", got)
	}
}

var urlRE = regexp.MustCompile(`<url [^>]*>([^<]+)</url>`)

// mirrorURLs returns the URLs of r's metalink, sorted: their order is a
// weighted random draw.
func mirrorURLs(t *testing.T, r *replica) []string {
	t.Helper()
	code, body, err := httpGet(r.url + metalinkPath)
	if err != nil || code != 200 {
		t.Fatalf("metalink: %d %v\n%s", code, err, body)
	}
	var urls []string
	for _, m := range urlRE.FindAllStringSubmatch(body, -1) {
		urls = append(urls, m[1])
	}
	slices.Sort(urls)
	return urls
}

// metalinkLoad asks for the metalink 20 times a second and counts the answers
// that are not a 200 listing at least one mirror.
type metalinkLoad struct {
	total, failed atomic.Int64
	first         atomic.Pointer[string]
	done          chan struct{}
	once          sync.Once
	wg            sync.WaitGroup
}

func startLoad(r *replica) *metalinkLoad {
	l := &metalinkLoad{done: make(chan struct{})}
	l.wg.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-l.done:
				return
			case <-tick.C:
			}
			code, body, err := httpGet(r.url + metalinkPath)
			l.total.Add(1)
			if err != nil || code != 200 || !strings.Contains(body, "<url ") {
				l.failed.Add(1)
				msg := time.Now().Format(time.RFC3339Nano) + ": " + describe(code, body, err)
				l.first.CompareAndSwap(nil, &msg)
			}
		}
	})
	return l
}

func (l *metalinkLoad) stop() {
	l.once.Do(func() { close(l.done) })
	l.wg.Wait()
}

func (l *metalinkLoad) firstFailure() string {
	if p := l.first.Load(); p != nil {
		return *p
	}
	return ""
}

func describe(code int, body string, err error) string {
	if err != nil {
		return err.Error()
	}
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	return fmt.Sprintf("HTTP %d: %s", code, body)
}

// readyz returns the status /readyz reports, or the error met asking.
func readyz(r *replica) string {
	code, body, err := httpGet(r.url + "/readyz")
	if err != nil {
		return "error: " + err.Error()
	}
	var v struct{ Status string }
	if err := json.Unmarshal([]byte(body), &v); err != nil || code != 200 {
		return "unexpected: " + describe(code, body, err)
	}
	return v.Status
}

// waitReadyz waits until /readyz reports want and logs how long that was
// after since, the moment of the event named by after. The deadline only
// turns a hang into a failure.
func waitReadyz(t *testing.T, r *replica, want string, since time.Time, after string) {
	t.Helper()
	var got string
	if !testpeer.Eventually(20*time.Second-time.Since(since), func() bool { got = readyz(r); return got == want }) {
		t.Fatalf("/readyz still says %q, not %q, %v after %s", got, want, time.Since(since), after)
	}
	t.Logf("/readyz said %s %v after %s", want, time.Since(since).Round(time.Millisecond), after)
}

// readyzWatch records each change of /readyz's status, polled 10 times a second.
type readyzWatch struct {
	mu   sync.Mutex
	seen []string
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

func watchReadyz(r *replica) *readyzWatch {
	w := &readyzWatch{done: make(chan struct{})}
	w.wg.Go(func() {
		for {
			w.record(readyz(r))
			select {
			case <-w.done:
				// The state the test last waited for is recorded too.
				w.record(readyz(r))
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	return w
}

func (w *readyzWatch) record(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.seen) == 0 || w.seen[len(w.seen)-1] != s {
		w.seen = append(w.seen, s)
	}
}

func (w *readyzWatch) stop() {
	w.once.Do(func() { close(w.done) })
	w.wg.Wait()
}

func (w *readyzWatch) states() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.seen)
}

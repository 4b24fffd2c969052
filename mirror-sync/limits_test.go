package mirrorsync

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// TestBreakerStopsRefusedEndpoint syncs against a closed loopback port with
// many retries allowed: the breaker stops the region after a few attempts,
// with an error that says why.
func TestBreakerStopsRefusedEndpoint(t *testing.T) {
	e := newSyncEnv(t)
	e.endpoint = "http://" + testpeer.FreeAddr(t)
	e.extra = "max_attempts: 100\nmax_connection_failures: 3"
	set := smallSet(t)
	makeRepo(t, set, e.root, testDir, []string{"alpha-1-1"})
	makeRepo(t, set, e.root, "releases/40/Everything/x86_64/os", []string{"beta-1-1"})
	sum, _, _, err := e.sync(t0, syncOptions{})
	if !errors.Is(err, errBreaker) || !strings.Contains(err.Error(), "stopped after 3 consecutive connection failures") ||
		!strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("sync against a refused endpoint: %v", err)
	}
	// One LIST at a time: three refused attempts open the breaker; the
	// concurrency bounds what was already in flight.
	attempts := 0
	for _, op := range []string{"ListObjectsV2", "GetObject", "PutObject", "HeadObject"} {
		attempts += sum.Requests.get(op)
	}
	if attempts < 3 || attempts > 3+4 {
		t.Errorf("%d attempts (%s), want 3 to 7 of the 100 allowed", attempts, sum.Requests)
	}
	// No region can go on: the run stops at the first directory.
	if sum.Failed != 1 || sum.Directories != 1 {
		t.Errorf("%d directories, %d failed, want 1 and 1", sum.Directories, sum.Failed)
	}
	t.Logf("refused endpoint: %d attempts; %v", attempts, err)
}

// TestDeadlineStopsFrozenEndpoint syncs against an endpoint that accepts
// and never answers: the region's deadline ends the run with an error
// naming it, and so does the run's.
func TestDeadlineStopsFrozenEndpoint(t *testing.T) {
	e := newSyncEnv(t)
	e.endpoint = testpeer.SilentEndpoint(t)
	makeRepo(t, smallSet(t), e.root, testDir, []string{"alpha-1-1"})
	for _, tc := range []struct{ extra, want string }{
		{"request_timeout: 1h\nregion_deadline: 300ms", "region us-east-1: the region's deadline of 300ms passed"},
		{"request_timeout: 1h\ndeadline: 300ms", "region us-east-1: the run's deadline of 300ms passed"},
	} {
		e.extra = tc.extra
		_, _, _, err := e.sync(t0, syncOptions{})
		if !errors.Is(err, errPartial) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.extra, err, tc.want)
		}
	}
}

// child is a mirror-sync process started from the test binary.
type child struct {
	p   *testpeer.Process
	out *syncBuffer
}

// syncBuffer is an output read while the process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startChild(t *testing.T, e *syncEnv, config string, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"sync", "--config", config}, args...)...)
	cmd.Env = append(os.Environ(), childEnv+"=1", "MIRROR_SYNC_TOKEN_US_EAST_1="+testToken, "MIRROR_SYNC_LOCK_DIR="+e.lockDir)
	c := &child{out: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = c.out, c.out
	c.p = testpeer.Start(t, cmd)
	return c
}

// wait returns the child's exit code and output once it ended.
func (c *child) wait() (int, string) {
	err := c.p.Err()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), c.out.String()
	}
	if err != nil {
		return -1, c.out.String()
	}
	return 0, c.out.String()
}

// TestRunLock starts a real sync that hangs on a frozen endpoint and so
// holds its region's lock; a second process for the same region exits 3
// naming the holder, having synced nothing; one with --wait waits, and
// takes the lock once the first is SIGKILLed (the kernel lets an flock go
// with its process), then runs until its deadline.
func TestRunLock(t *testing.T) {
	e := newSyncEnv(t)
	e.endpoint = testpeer.SilentEndpoint(t)
	e.extra = "request_timeout: 1h"
	makeRepo(t, smallSet(t), e.root, testDir, []string{"alpha-1-1"})
	config := e.writeConfig()
	first := startChild(t, e, config)
	lock := filepath.Join(e.lockDir, testRegion+".lock")
	pid := strconv.Itoa(first.p.Pid())
	testpeer.MustEventually(t, 30*time.Second, "the first run to hold the lock", func() bool {
		b, _ := os.ReadFile(lock)
		return strings.TrimSpace(string(b)) == pid
	})
	code, out := startChild(t, e, config).wait()
	if code != exitLocked || !strings.Contains(out, "region us-east-1: another mirror-sync (pid "+pid+") is running it (lock "+lock+"); run with --wait") {
		t.Fatalf("second run: exit %d, want %d\n%s", code, exitLocked, out)
	}
	if strings.Contains(out, "REGION") {
		t.Errorf("the locked-out run synced:\n%s", out)
	}
	waiter := startChild(t, e, config, "--wait", "--region-deadline", "500ms")
	testpeer.MustEventually(t, 30*time.Second, "the waiting run to say it waits", func() bool {
		return strings.Contains(waiter.out.String(), "waiting for the region locks")
	})
	select {
	case <-waiter.p.Exited():
		code, out := waiter.wait()
		t.Fatalf("the waiting run ended while the lock was held: exit %d\n%s", code, out)
	default:
	}
	proc, err := os.FindProcess(first.p.Pid())
	if err != nil {
		t.Fatal(err)
	}
	if err := proc.Kill(); err != nil {
		t.Fatal(err)
	}
	code, out = waiter.wait()
	if code != exitPartial || !strings.Contains(out, "the region's deadline of 500ms passed") || !strings.Contains(out, "REGION") {
		t.Errorf("the waiting run after the holder died: exit %d, want %d and its deadline\n%s", code, exitPartial, out)
	}
}

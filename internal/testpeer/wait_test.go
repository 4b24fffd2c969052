package testpeer

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestEventually(t *testing.T) {
	calls := 0
	if !Eventually(10*time.Second, func() bool { calls++; return calls == 3 }) {
		t.Fatal("Eventually gave up on a condition that came true")
	}
	if calls != 3 {
		t.Errorf("cond called %d times, want 3", calls)
	}
	if Eventually(0, func() bool { return false }) {
		t.Error("Eventually reported a condition that never held")
	}
}

func TestWaitReady(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		Missing(t, "sh is not installed")
	}
	t.Run("listening", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		p := Start(t, exec.Command(sh, "-c", "exec sleep 60"))
		if err := WaitReady(p, 10*time.Second, Listening(l.Addr().String())); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("http", func(t *testing.T) {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/healthz" {
				http.NotFound(w, r)
			}
		}))
		defer ts.Close()
		p := Start(t, exec.Command(sh, "-c", "exec sleep 60"))
		if err := WaitReady(p, 10*time.Second, HTTPOK(ts.URL+"/healthz")); err != nil {
			t.Fatal(err)
		}
		if HTTPOK(ts.URL + "/missing")() {
			t.Error("HTTPOK accepted a 404")
		}
	})
	t.Run("exited", func(t *testing.T) {
		p := Start(t, exec.Command(sh, "-c", "exit 3"))
		err := WaitReady(p, 10*time.Second, func() bool { return false })
		if err == nil || !strings.Contains(err.Error(), "exited before serving: exit status 3") {
			t.Errorf("WaitReady on an ended process: %v", err)
		}
	})
	t.Run("never ready", func(t *testing.T) {
		p := Start(t, exec.Command(sh, "-c", "exec sleep 60"))
		err := WaitReady(p, 100*time.Millisecond, func() bool { return false })
		if err == nil || !strings.Contains(err.Error(), "did not serve within") {
			t.Errorf("WaitReady on a silent process: %v", err)
		}
		p.Stop()
		select {
		case <-p.Exited():
		default:
			t.Error("Stop returned before the process ended")
		}
	})
}

package mirrorsync

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// sign writes a stand-in signature of dir's repomd.xml in the master tree
// (its content names the repomd's sha256), or removes it when !signed.
func (e *syncEnv) sign(dir string, signed bool) {
	e.t.Helper()
	asc := filepath.Join(e.root, filepath.FromSlash(repomdPath(dir))+".asc")
	if !signed {
		if err := os.Remove(asc); err != nil && !errors.Is(err, fs.ErrNotExist) {
			e.t.Fatal(err)
		}
		return
	}
	if err := os.WriteFile(asc, []byte("signature of "+e.masterRepomd(dir)+"\n"), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// signatureView checks what repo_gpgcheck needs: a repomd.xml.asc in the
// bucket, if any, signs the repomd.xml beside it.
func (e *syncEnv) signatureView(dir string) error {
	asc := e.get(repomdPath(dir) + ".asc")
	if asc == nil {
		return nil
	}
	raw := e.get(repomdPath(dir))
	if raw == nil {
		return fmt.Errorf("a signature without a repomd.xml: %q", asc)
	}
	if want := "signature of " + sha256Hex(raw) + "\n"; string(asc) != want {
		return fmt.Errorf("the signature %q does not sign the live repomd.xml %s", asc, sha256Hex(raw))
	}
	return nil
}

// worker is one mirror-sync process started from the test binary.
type worker struct {
	lockDir string
	mu      sync.Mutex
	cmd     *exec.Cmd
	killed  bool
}

// kill SIGKILLs the running worker, by its pid.
func (w *worker) kill() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cmd != nil && w.cmd.Process != nil && !w.killed {
		_ = w.cmd.Process.Kill()
		w.killed = true
	}
}

// run starts the worker on the configuration and waits for it; it reports
// whether the worker was killed and its output.
func (w *worker) run(t *testing.T, config string, args ...string) (bool, int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"sync", "--config", config}, args...)...)
	cmd.Env = append(os.Environ(), childEnv+"=1", "MIRROR_SYNC_TOKEN_US_EAST_1="+testToken, "MIRROR_SYNC_LOCK_DIR="+w.lockDir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	w.mu.Lock()
	w.cmd, w.killed = cmd, false
	err := cmd.Start()
	w.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.kill() })
	_ = cmd.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.killed, cmd.ProcessState.ExitCode(), out.String()
}

// TestKillAtEveryStep SIGKILLs a real worker process at every mutating
// request of four successive publications (a first sync, a changed
// repository, a switch to simple metadata names without a signature, and a
// signed change that rewrites files in place), alternately before the
// request reaches S3 and after S3 answered it, and checks after each kill
// that a client sees either no repomd.xml or one whose every file and
// package is present and intact, and that the repomd.xml.asc present, if
// any, signs the repomd.xml present.
func TestKillAtEveryStep(t *testing.T) {
	e := newSyncEnv(t)
	e.extra = "grace: 1ms"
	config := e.writeConfig()
	set := smallSet(t)
	stages := []struct {
		rpms   []string
		args   []string
		signed bool
	}{
		{[]string{"alpha-1-1", "beta-1-1", "gamma-1-1"}, nil, true},
		{[]string{"alpha-1-1", "beta-1-1", "gamma-2-1", "delta-2-1"}, nil, true},
		{[]string{"alpha-1-1", "delta-2-1"}, []string{"--simple-md-filenames"}, false},
		{[]string{"alpha-1-1", "beta-1-1", "delta-2-1"}, []string{"--simple-md-filenames"}, true},
	}
	w := &worker{lockDir: e.lockDir}
	kills := 0
	var prev string
	for si, st := range stages {
		makeRepo(t, set, e.root, testDir, st.rpms, st.args...)
		want := e.masterRepomd(testDir)
		e.sign(testDir, st.signed)
		for run := 0; ; run++ {
			if run > 60 {
				t.Fatalf("stage %d: no clean run after %d kills", si, run)
			}
			before := run%3 == 2
			e.proxy.set(func(kind string, r *http.Request) int {
				if before && (kind == "PUT" || kind == "DELETE" || kind == "POST") {
					w.kill()
					return http.StatusServiceUnavailable
				}
				return 0
			}, func(kind string, n int) {
				if !before && n == 1 {
					w.kill()
				}
			})
			killed, code, out := w.run(t, config)
			if !killed {
				if code != exitOK {
					t.Fatalf("stage %d: worker exited %d:\n%s", si, code, out)
				}
				break
			}
			kills++
			live, err := e.clientView(testDir)
			if err != nil {
				t.Fatalf("stage %d, kill %d (%s): client view broken: %v", si, kills, map[bool]string{true: "before", false: "after"}[before], err)
			}
			if live != "" && live != want && live != prev {
				t.Fatalf("stage %d, kill %d: live repomd %s is neither the old nor the new one", si, kills, live)
			}
			if err := e.signatureView(testDir); err != nil {
				t.Fatalf("stage %d, kill %d (%s): %v", si, kills, map[bool]string{true: "before", false: "after"}[before], err)
			}
		}
		e.proxy.set(nil, nil)
		if live, err := e.clientView(testDir); err != nil || live != want {
			t.Fatalf("stage %d: after the clean run, live %q err %v", si, live, err)
		}
		e.proxy.counts()
		if killed, code, out := w.run(t, config); killed || code != exitOK {
			t.Fatalf("stage %d: no-op run exited %d:\n%s", si, code, out)
		}
		if c := e.proxy.counts(); c["PUT"] != 0 || c["DELETE"] != 0 || c["POST"] != 0 {
			t.Errorf("stage %d: rerun after kills was not a no-op: %v", si, c)
		}
		prev = want
	}
	if kills < 20 {
		t.Errorf("only %d kills", kills)
	}
	t.Logf("killed the worker %d times across %d publications; every client view was consistent", kills, len(stages))
	fmt.Fprintf(os.Stderr, "kill test: %d kills\n", kills)
}

package cli

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/mm2/mm2test"
	"github.com/metalinkd/metalinkd/internal/testpeer"
	"github.com/metalinkd/metalinkd/store"
)

// storeOf opens the store a test environment names.
func storeOf(t *testing.T, env map[string]string) store.Store {
	t.Helper()
	c := &storeChoice{DataDir: env["METALINKD_DATA_DIR"], DatabaseURL: env["DATABASE_URL"]}
	st, err := c.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestImportFromMirrorManager2(t *testing.T) {
	for _, b := range importBackends {
		t.Run(b.name, func(t *testing.T) {
			mm2 := mm2test.NewFixture(t)
			env := b.env(t)
			dry := runCLI(t, env, "", "import", "--from-mirrormanager2", mm2, "--dry-run")
			if dry.code != ExitOK {
				t.Fatalf("dry run: exit %d\n%s", dry.code, dry.stderr)
			}
			for _, want := range []string{
				"+ mirror mm2-mirror1.us.example.org\n",
				"+ repository fedora-41/x86_64\n",
				"+ redirect fedora-42\n",
				"directories: 5 added, 0 removed, 0 changed\n",
				"unmapped host: host 44 nourls.example.org: no URL",
				"unmapped: 16 rows (",
				"dry run: would add 282, remove 0, change 0 (mirrors +48, locations +1, repositories +6, redirects +1, netblock countries +2, country continents +2, directories +5, freshness +200, tree directories +14, files +2, health +1); nothing was changed\n",
			} {
				if !strings.Contains(dry.stdout, want) {
					t.Errorf("dry run does not print %q:\n%s", want, dry.stdout)
				}
			}
			st := storeOf(t, env)
			if ms, err := st.Mirrors(context.Background()); err != nil || len(ms) != 0 {
				t.Fatalf("the dry run wrote %d mirrors (%v)", len(ms), err)
			}

			first := runCLI(t, env, "", "import", "--from-mirrormanager2", mm2)
			if first.code != ExitOK || !strings.Contains(first.stdout, "summary: added 282, removed 0, changed 0") {
				t.Fatalf("import: exit %d\n%s%s", first.code, first.stdout, first.stderr)
			}
			if ms, err := st.Mirrors(context.Background()); err != nil || len(ms) != 48 {
				t.Fatalf("%d mirrors stored (%v), want 48", len(ms), err)
			}
			again := runCLI(t, env, "", "import", "--from-mirrormanager2", mm2)
			if again.code != ExitOK || !strings.Contains(again.stdout, "summary: no changes\n") {
				t.Fatalf("re-import of an unchanged database: exit %d\n%s%s", again.code, again.stdout, again.stderr)
			}
		})
	}
}

func TestImportFromMirrorManager2Usage(t *testing.T) {
	env := map[string]string{"METALINKD_DATA_DIR": t.TempDir()}
	for _, args := range [][]string{
		{"import", "--from-mirrormanager2", "postgres://x/y", "--dry-run", "--every", "1m"},
		{"import", "--from-mirrormanager2", "postgres://x/y", "file.yaml"},
		{"import", "--from-mirrormanager2", "postgres://x/y", "--prefix", "-x"},
		{"import", "--from-mirrormanager2="},
	} {
		if r := runCLI(t, env, "", args...); r.code != ExitUsage {
			t.Errorf("%q: exit %d, want %d\n%s", args, r.code, ExitUsage, r.stderr)
		}
	}
	r := runCLI(t, map[string]string{"METALINKD_DATA_DIR": t.TempDir()}, "", "import", "--from-mirrormanager2",
		"postgres://postgres@127.0.0.1:1/none?connect_timeout=2")
	if r.code != ExitError || !strings.Contains(r.stderr, "mirrormanager2 database") {
		t.Errorf("unreachable database: exit %d\n%s", r.code, r.stderr)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
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

// TestImportFromMirrorManager2Every keeps a store in step with a changing
// database until the command is stopped.
func TestImportFromMirrorManager2Every(t *testing.T) {
	mm2 := mm2test.NewFixture(t)
	env := map[string]string{"METALINKD_DATA_DIR": t.TempDir()}
	var out, errb syncBuffer
	e := Env{Getenv: func(k string) string { return env[k] }, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
	// Opened (and so created) before the command runs: two processes
	// creating one embedded store at once is not what this test is about.
	st := storeOf(t, env)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- Main(ctx, e, []string{"import", "--from-mirrormanager2", mm2, "--every", "100ms"}) }()
	bandwidth := func() int {
		m, err := st.Mirror(context.Background(), "mm2-mirror2.us.example.org")
		if err != nil {
			return 0
		}
		return m.Bandwidth
	}
	if !testpeer.Eventually(30*time.Second, func() bool { return bandwidth() == 200 }) {
		cancel()
		t.Fatalf("the first import never landed\n%s%s", out.String(), errb.String())
	}
	mm2test.Exec(t, mm2, `UPDATE host SET bandwidth_int = 4321 WHERE id = 2`)
	if !testpeer.Eventually(30*time.Second, func() bool { return bandwidth() == 4321 }) {
		cancel()
		t.Fatalf("a change in MirrorManager2 never reached the store\n%s%s", out.String(), errb.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("stopped with exit %d, want 0\n%s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the import did not stop when its context ended")
	}
	if !strings.Contains(out.String(), "~ mirror mm2-mirror2.us.example.org: bandwidth\n") {
		t.Errorf("the change is not printed:\n%s", out.String())
	}
}

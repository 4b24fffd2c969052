package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// TestReliabilityImportKills kills `metalinkd import --replace` of a large
// file with SIGKILL at random moments of its run, beside a serving server
// on the same embedded store. After each kill the store must open and
// validate, and hold either the whole old data or the whole new data; the
// server must keep answering.
func TestReliabilityImportKills(t *testing.T) {
	s := serveEmbedded(t)
	dir := t.TempDir()
	oldFile, newFile := filepath.Join(dir, "old.yaml"), filepath.Join(dir, "new.yaml")
	oldData := s.export(t)
	if err := os.WriteFile(oldFile, oldData, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(newFile, largeMirrorsFile(oldData, sized(5000, 20000)), 0o644); err != nil {
		t.Fatal(err)
	}

	// One clean run of each way gives the new data's export and how long
	// an import takes, the span the kills are drawn from.
	start := time.Now()
	runImport(t, s, newFile)
	span := time.Since(start)
	newData := s.export(t)
	runImport(t, s, oldFile)
	if got := s.export(t); !bytes.Equal(got, oldData) {
		t.Fatalf("importing the old export back does not restore it:\n%s", lineDiff(oldData, got))
	}
	t.Logf("a clean import of the new data (%d bytes exported) takes %v", len(newData), span)

	// A probe asks the server for the metalink all along, as its reloads
	// follow the store through the imports and the kills.
	done := make(chan struct{})
	var probes, probeFailures atomic.Int64
	var firstFailure atomic.Pointer[string]
	var wg sync.WaitGroup
	wg.Go(func() {
		c := probeClient("127.0.0.1")
		for !closed(done) {
			probes.Add(1)
			if err := probeMetalink(c, s.addr); err != nil {
				probeFailures.Add(1)
				msg := err.Error()
				firstFailure.CompareAndSwap(nil, &msg)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	stopProbe := sync.OnceFunc(func() { close(done); wg.Wait() })
	defer stopProbe()

	kills := sized(5, 25)
	var sawOld, sawNew int
	for i := range kills {
		at := time.Duration(rand.Int64N(int64(span)))
		got := killedImport(t, s, newFile, at)
		switch {
		case bytes.Equal(got, oldData):
			sawOld++
		case bytes.Equal(got, newData):
			sawNew++
			runImport(t, s, oldFile) // back to the old data for the next kill
		default:
			t.Fatalf("kill %d at %v: the store holds neither the old nor the new data:\n%s", i, at, lineDiff(oldData, got))
		}
		if err := probeMetalink(probeClient("127.0.0.1"), s.addr); err != nil {
			t.Fatalf("kill %d at %v: the server does not answer: %v", i, at, err)
		}
	}
	stopProbe()
	figure(t, "%d kills of an import (clean run %v): %d left the old data, %d the new data, none a mix; "+
		"%d probe requests, %d failed",
		kills, span.Round(time.Millisecond), sawOld, sawNew, probes.Load(), probeFailures.Load())
	if n := probeFailures.Load(); n > 0 {
		t.Errorf("%d of %d probe requests failed during the kills; the first: %s", n, probes.Load(), *firstFailure.Load())
	}
}

// largeMirrorsFile is the export old with n more mirrors.
func largeMirrorsFile(old []byte, n int) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  - name: bulk-%05d\n    country: DE\n    bandwidth: %d\n    enabled: true\n"+
			"    urls:\n      - https://bulk-%05d.example.org/fedora/linux\n    netblocks:\n      - 10.%d.%d.0/24\n",
			i, 1+i%1000, i, i/256%256, i%256)
	}
	return bytes.Replace(old, []byte("mirrors:\n"), []byte("mirrors:\n"+b.String()), 1)
}

// runImport imports file into the server's store, replacing what it lacks.
func runImport(t *testing.T, s *storeServer, file string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // only turns a hang into a failure
	defer cancel()
	out, err := exec.CommandContext(ctx, testpeer.Metalinkd(t), "import", "--replace", "--data-dir", s.dataDir, file).CombinedOutput()
	if err != nil {
		t.Fatalf("import %s: %v\n%s", filepath.Base(file), err, out)
	}
}

// killedImport starts an import of file and sends it SIGKILL after at,
// unless it ended before; it returns the store's export afterwards, once
// the store has been opened and validated.
func killedImport(t *testing.T, s *storeServer, file string, at time.Duration) []byte {
	t.Helper()
	cmd := exec.Command(testpeer.Metalinkd(t), "import", "--replace", "--data-dir", s.dataDir, file)
	p := testpeer.Start(t, cmd)
	select {
	case <-p.Exited():
	case <-time.After(at):
		syscall.Kill(p.Pid(), syscall.SIGKILL)
		<-p.Exited()
	}
	st, err := sqlite.Open(context.Background(), s.dataDir)
	if err != nil {
		t.Fatalf("after a kill at %v the store does not open: %v", at, err)
	}
	defer st.Close()
	d, err := st.Load(context.Background())
	if err != nil {
		t.Fatalf("after a kill at %v the store does not load: %v", at, err)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("after a kill at %v the store does not validate: %v", at, err)
	}
	return exportStore(t, st)
}

package server

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// lockedBuffer is a bytes.Buffer safe for the flusher and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func TestBufferedWriterKeepsLinesWholeAndFlushes(t *testing.T) {
	var out lockedBuffer
	w := NewBufferedWriter(&out, 20*time.Millisecond)
	line := strings.Repeat("x", 1000) + "\n"
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				w.Write([]byte(line))
			}
		}()
	}
	wg.Wait()
	testpeer.MustEventually(t, 10*time.Second, "the timer to flush every line", func() bool { return len(out.String()) == 400*len(line) })
	w.Write([]byte("last\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.HasSuffix(got, "last\n") {
		t.Error("Close did not flush the last line")
	}
	for i, l := range strings.Split(strings.TrimSuffix(got, "last\n"), "\n") {
		if l != "" && l != line[:len(line)-1] {
			t.Fatalf("line %d was split or interleaved: %d bytes", i, len(l))
		}
	}
}

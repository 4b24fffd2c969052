package server

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLogFileReopen is logrotate's rename-then-SIGHUP: lines written
// after Reopen land in a new file at the original path.
func TestLogFileReopen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	l, err := OpenLogFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Write([]byte("before\n"))
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	l.Write([]byte("renamed\n"))
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	l.Write([]byte("after\n"))
	for p, want := range map[string]string{path + ".1": "before\nrenamed\n", path: "after\n"} {
		got, err := os.ReadFile(p)
		if err != nil || string(got) != want {
			t.Errorf("%s: %q (%v), want %q", filepath.Base(p), got, err, want)
		}
	}
	os.Remove(path)
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err == nil {
		t.Error("Reopen of a directory succeeded")
	}
	if _, err := l.Write([]byte("kept\n")); err != nil {
		t.Errorf("write after a failed reopen: %v", err)
	}
}

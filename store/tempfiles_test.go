package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/metalinkd/metalinkd/store"
)

// A writer that dies between creating its temporary file and renaming it
// leaves a full-size copy of the data behind: opening the store removes it,
// and nothing that is not the store's own temporary file.
func TestEmbeddedOpenRemovesStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := store.OpenEmbedded(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateMirror(context.Background(), mirror("a")); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "metalinkd.json"))
	if err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "metalinkd.json.tmp-123456")
	other := filepath.Join(dir, "notes.tmp-1")
	for _, p := range []string{stale, other} {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	s, err = store.OpenEmbedded(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale temporary file is still there after open: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a file that is not the store's temporary file was removed: %v", err)
	}
	if m, err := s.Mirror(context.Background(), "a"); err != nil || m.Name != "a" {
		t.Errorf("after open, mirror a = %+v, %v; want it intact", m, err)
	}
}

package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// A file replaced atomically is written to a temporary file beside it,
// named after it with tempInfix and a random suffix, then renamed over it.
const tempInfix = ".tmp-"

// withFileLock runs fn holding the exclusive lock of the lock file at
// lockPath, which every writer of the files it guards takes.
func withFileLock(lockPath string, fn func() error) error {
	lf, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lf.Close()
	if err := lockFileExclusive(lf); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer unlockFile(lf)
	return fn()
}

// writeFileAtomicFunc replaces path with what write writes to a temporary
// file: temporary file, fsync, rename, fsync of the directory. A crash
// leaves either the old file or the new one, and at worst a temporary file
// that removeStaleTemps finds later.
func writeFileAtomicFunc(path string, write func(*os.File) error) error {
	dir, name := filepath.Split(path)
	tmp, err := os.CreateTemp(dir, name+tempInfix+"*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Clean(dir + ".")); err == nil {
		d.Sync() // best effort: makes the rename itself durable
		d.Close()
	}
	return nil
}

// removeStaleTemps removes the temporary files writeFileAtomicFunc left beside
// path when the process writing it died. The caller holds the lock that
// every writer of path holds, so none of them is a live writer's.
func removeStaleTemps(path string) error {
	dir, name := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), name+tempInfix) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !os.IsNotExist(err) {
			errs = append(errs, err.Error())
		}
	}
	if errs != nil {
		return fmt.Errorf("removing stale temporary files: %s", strings.Join(errs, "; "))
	}
	return nil
}

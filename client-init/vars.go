package clientinit

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// varsPaths returns the files under root that dnf and yum read the
// $location variable from.
func varsPaths(root string) []string {
	return []string{
		filepath.Join(root, "etc/dnf/vars/location"),
		filepath.Join(root, "etc/yum/vars/location"),
	}
}

// writeLocation makes each file hold name and a newline, mode 0644. A file
// that already holds exactly that is not touched. It returns the files it
// wrote.
func writeLocation(paths []string, name string) ([]string, error) {
	content := []byte(name + "\n")
	var written []string
	for _, path := range paths {
		old, err := os.ReadFile(path)
		if err == nil && bytes.Equal(old, content) {
			continue
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return written, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return written, err
		}
		if err := writeFileAtomic(path, content, 0o644, nil); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}

// removeLocation removes the location files that exist, for an image that
// moved off the cloud it was made in. It returns the files it removed.
func removeLocation(paths []string) ([]string, error) {
	var removed []string
	for _, path := range paths {
		err := os.Remove(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return removed, err
		}
		if err := syncDir(filepath.Dir(path)); err != nil {
			return removed, err
		}
		removed = append(removed, path)
	}
	return removed, nil
}

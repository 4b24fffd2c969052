//go:build !unix

package mirrorsync

import (
	"errors"
	"io/fs"
	"os"
)

// fileLock is a lock file created exclusively and removed on release. A
// run that dies without releasing it leaves it behind: the message of the
// next run names the file, to be removed by hand once no run is going.
type fileLock struct {
	f    *os.File
	path string
}

// tryLock takes the lock at p without blocking. A lock held elsewhere gives
// a nil lock and the holder's pid, if known.
func tryLock(p string) (*fileLock, string, error) {
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil, readPID(p), nil
	}
	if err != nil {
		return nil, "", err
	}
	writePID(f)
	return &fileLock{f: f, path: p}, "", nil
}

func (l *fileLock) unlock() {
	l.f.Close()
	_ = os.Remove(l.path)
}

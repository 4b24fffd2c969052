//go:build unix

package mirrorsync

import (
	"errors"
	"os"
	"syscall"
)

// fileLock is an flock(2) on a lock file: the kernel lets it go when the
// process ends, however it ends, so a killed run leaves no stale lock.
type fileLock struct{ f *os.File }

// tryLock takes the lock at p without blocking. A lock held elsewhere gives
// a nil lock and the holder's pid, if known.
func tryLock(p string) (*fileLock, string, error) {
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, "", err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, readPID(p), nil
		}
		return nil, "", err
	}
	writePID(f)
	return &fileLock{f: f}, "", nil
}

func (l *fileLock) unlock() {
	// The file stays: removing it would race with a run that opened it.
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}

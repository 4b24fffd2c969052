//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
)

// lockFileExclusive takes an exclusive advisory lock on f, waiting for it.
// The lock is shared with every process that opens the same file, so
// commands run beside the server write the embedded store in turn.
func lockFileExclusive(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }

func unlockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }

// LockFile takes an exclusive lock on the file at path, creating it, and
// waits for it while another open of the file holds it. The system
// releases the lock when the process ends; unlock releases it before.
func LockFile(path string) (unlock func() error, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, err
	}
	if err := lockFileExclusive(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return sync.OnceValue(func() error { return errors.Join(unlockFile(f), f.Close()) }), nil
}

// TryLockFile takes an exclusive lock on the file at path, creating it,
// without waiting: ErrLocked when another open of the file (in this process
// or another) holds it. The system releases the lock when the process
// ends; unlock releases it before.
func TryLockFile(path string) (unlock func() error, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return sync.OnceValue(func() error {
		return errors.Join(syscall.Flock(int(f.Fd()), syscall.LOCK_UN), f.Close())
	}), nil
}

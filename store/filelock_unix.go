//go:build unix

package store

import (
	"os"
	"syscall"
)

// lockFileExclusive takes an exclusive advisory lock on f, waiting for it.
// The lock is shared with every process that opens the same file, so
// commands run beside the server write the embedded store in turn.
func lockFileExclusive(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }

func unlockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }

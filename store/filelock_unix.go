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

// inode returns the file's inode number: a replaced file (written to a
// temporary name and renamed) has a new one even when its size and time match.
func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}

package mirrorsync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// errLocked marks a region whose lock another run holds (exit code 3).
var errLocked = errors.New("locked")

// lockedError names the region, the lock file and, when known, the holder.
type lockedError struct {
	Region, Path, Holder string
}

func (e *lockedError) Error() string {
	who := "another mirror-sync"
	if e.Holder != "" {
		who += " (pid " + e.Holder + ")"
	}
	return fmt.Sprintf("region %s: %s is running it (lock %s); run with --wait to wait for it", e.Region, who, e.Path)
}

func (e *lockedError) Is(target error) bool { return target == errLocked }

// lockPollInterval is how often --wait tries a held lock again.
const lockPollInterval = time.Second

// defaultLockDir is where the lock files live unless --lock-dir says:
// $MIRROR_SYNC_LOCK_DIR, $RUNTIME_DIRECTORY (systemd's RuntimeDirectory=),
// /run/mirror-sync when it exists, $XDG_RUNTIME_DIR/mirror-sync, or
// mirror-sync in the temporary directory.
func defaultLockDir(getenv func(string) string) string {
	if d := getenv("MIRROR_SYNC_LOCK_DIR"); d != "" {
		return d
	}
	if d := getenv("RUNTIME_DIRECTORY"); d != "" {
		// systemd lists several directories separated by colons.
		d, _, _ = strings.Cut(d, ":")
		return d
	}
	if st, err := os.Stat("/run/mirror-sync"); err == nil && st.IsDir() {
		return "/run/mirror-sync"
	}
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "mirror-sync")
	}
	return filepath.Join(os.TempDir(), "mirror-sync")
}

// regionLocks holds the locks of the regions of one run.
type regionLocks struct{ held []*fileLock }

// lockRegions takes the lock of each region, in order. Without wait a held
// lock is an error; with wait it is tried again until ctx ends.
func lockRegions(ctx context.Context, dir string, regions []*region, wait bool) (*regionLocks, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, configError("lock directory: %v", err)
	}
	locks := &regionLocks{}
	for _, r := range regions {
		p := filepath.Join(dir, r.Name+".lock")
		for {
			l, holder, err := tryLock(p)
			if err != nil {
				locks.release()
				return nil, fmt.Errorf("region %s: lock %s: %w", r.Name, p, err)
			}
			if l != nil {
				locks.held = append(locks.held, l)
				break
			}
			if !wait {
				locks.release()
				return nil, &lockedError{Region: r.Name, Path: p, Holder: holder}
			}
			select {
			case <-ctx.Done():
				locks.release()
				return nil, fmt.Errorf("region %s: waiting for lock %s: %w", r.Name, p, context.Cause(ctx))
			case <-time.After(lockPollInterval):
			}
		}
	}
	return locks, nil
}

// release lets the locks go; a nil *regionLocks holds none.
func (l *regionLocks) release() {
	if l == nil {
		return
	}
	for _, h := range l.held {
		h.unlock()
	}
	l.held = nil
}

// writePID records the holder in the lock file, for the message of the
// run that finds it held.
func writePID(f *os.File) {
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
}

// readPID returns the pid a lock file names, "" when unreadable.
func readPID(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(b))
	if _, err := strconv.Atoi(s); err != nil {
		return ""
	}
	return s
}

//go:build unix

package server

import "syscall"

// DefaultMaxConns is the default of ConnLimits.Max: 80% of the process's
// file descriptor limit (RLIMIT_NOFILE, which Go raises to its hard limit
// at start), leaving the rest for the store, the databases and logs, and
// at most MaxDefaultConns.
func DefaultMaxConns() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == 0 {
		return fallbackMaxConns
	}
	if rl.Cur >= MaxDefaultConns*5/4 {
		return MaxDefaultConns
	}
	return max(int(rl.Cur)*4/5, 1)
}

//go:build !unix

package store

import (
	"errors"
	"os"
)

// errNoFileLock says the embedded store cannot lock its file here: it is
// supported where advisory file locks are (Linux and the other unixes).
var errNoFileLock = errors.New("the embedded store needs a unix system's file locks; use PostgreSQL here")

func lockFileExclusive(*os.File) error { return errNoFileLock }

func unlockFile(*os.File) error { return nil }

// LockFile takes no lock here: the embedded store is unsupported (see
// errNoFileLock) but still opens, for tools that read a copy of one.
func LockFile(string) (func() error, error) { return func() error { return nil }, nil }

// TryLockFile is not supported here (see errNoFileLock).
func TryLockFile(string) (func() error, error) { return nil, errNoFileLock }

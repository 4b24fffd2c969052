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

// TryLockFile is not supported here (see errNoFileLock).
func TryLockFile(string) (func() error, error) { return nil, errNoFileLock }

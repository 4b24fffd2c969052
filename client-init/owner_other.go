//go:build !linux

package clientinit

import (
	"io/fs"
	"os"
)

// copyOwnerAndLabel does nothing where files have no Linux owner or label.
func copyOwnerAndLabel(*os.File, string, fs.FileInfo) error { return nil }

//go:build !linux

// Command loopguard needs Linux's seccomp user notification; see main.go.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "loopguard: runs on Linux only")
	os.Exit(2)
}

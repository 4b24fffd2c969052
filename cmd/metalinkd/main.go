// Command metalinkd is a MirrorManager-compatible metalink and mirrorlist
// server that lists each cloud guest's regional mirror first.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/metalinkd/metalinkd/internal/cli"
)

// SIGINT and SIGTERM cancel the context: commands stop, and serve drains
// first. Serve handles SIGHUP itself (reopen the logs, reload), through
// Env.Signals.
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, cli.Env{
		Getenv:  os.Getenv,
		Stdin:   os.Stdin,
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		TTY:     term.IsTerminal(int(os.Stderr.Fd())),
		Signals: cli.OSSignals{},
	}, os.Args[1:])
	stop()
	os.Exit(code)
}

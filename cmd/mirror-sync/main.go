// Command mirror-sync publishes the master tree's repositories into each
// region's bucket, reports them to the metalink server, provisions regional
// buckets and retires old releases.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	mirrorsync "github.com/metalinkd/metalinkd/mirror-sync"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := mirrorsync.Main(ctx, mirrorsync.Env{
		Getenv: os.Getenv,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		TTY:    term.IsTerminal(int(os.Stderr.Fd())),
	}, os.Args[1:])
	stop()
	os.Exit(code)
}

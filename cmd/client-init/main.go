// Command client-init writes the guest's cloud region into dnf's and yum's
// $location variable at boot, and with "repo-files" adds
// &location=$location to the metalink lines of repository files. Run
// "client-init -h" for its flags and exit codes.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	clientinit "github.com/metalinkd/metalinkd/client-init"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := clientinit.Main(ctx, clientinit.Env{
		Stdout: os.Stdout,
		Stderr: os.Stderr,
	}, os.Args[1:])
	stop()
	os.Exit(code)
}

// Command client-init writes the guest's cloud region into dnf's and yum's
// $location variable at boot, and with "repo-files" adds
// &location=$location to the metalink lines of repository files. Run
// "client-init -h" for its flags and exit codes.
package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	clientinit "github.com/metalinkd/metalinkd/client-init"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses the command line, runs the command and returns its exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	var err error
	if len(args) > 0 && args[0] == "repo-files" {
		var cfg clientinit.RepoFilesConfig
		if cfg, err = clientinit.ParseRepoFilesFlags(args[1:], stderr); err == nil {
			err = clientinit.RepoFiles(cfg, log, stdout)
		}
	} else {
		var cfg clientinit.Config
		if cfg, err = clientinit.ParseFlags(args, stderr); err == nil {
			err = clientinit.Run(ctx, cfg, log, stdout)
		}
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return clientinit.ExitOK
	case errors.Is(err, clientinit.ErrUsage):
		log.Error("bad command line", "err", err)
	case errors.Is(err, clientinit.ErrNeedsChange):
		log.Info("repository files need a change", "err", err)
	}
	return clientinit.ExitCode(err)
}

package clientinit

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/metalinkd/metalinkd/internal/logging"
	"github.com/metalinkd/metalinkd/internal/version"
)

// Env is the process's standard streams, passed in so that the command is
// testable.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
}

// Main runs the command line args (without the program name) and returns
// the exit code. Logs go to Stderr as text: the helper runs at boot, where
// the journal stores its lines as they are.
func Main(ctx context.Context, env Env, args []string) int {
	log := logging.New(env.Stderr, logging.Text, slog.LevelInfo)
	var err error
	if len(args) > 0 && (args[0] == "version" || args[0] == "--version" || args[0] == "-version") {
		if len(args) > 1 {
			log.Error("bad command line", "err", "version takes no arguments")
			return exitUsage
		}
		fmt.Fprintln(env.Stdout, "client-init", version.Get().String())
		return exitOK
	}
	if len(args) > 0 && args[0] == "repo-files" {
		var cfg repoFilesConfig
		if cfg, err = parseRepoFilesFlags(args[1:], env.Stderr); err == nil {
			err = repoFiles(cfg, log, env.Stdout)
		}
	} else {
		var cfg config
		if cfg, err = parseFlags(args, env.Stderr); err == nil {
			err = run(ctx, cfg, log, env.Stdout)
		}
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		log.Error("bad command line", "err", err)
	case errors.Is(err, errNeedsChange):
		log.Info("repository files need a change", "err", err)
	}
	return exitCode(err)
}

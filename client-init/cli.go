package clientinit

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"

	"github.com/metalinkd/metalinkd/internal/logging"
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
	if len(args) > 0 && args[0] == "repo-files" {
		var cfg RepoFilesConfig
		if cfg, err = ParseRepoFilesFlags(args[1:], env.Stderr); err == nil {
			err = RepoFiles(cfg, log, env.Stdout)
		}
	} else {
		var cfg Config
		if cfg, err = ParseFlags(args, env.Stderr); err == nil {
			err = Run(ctx, cfg, log, env.Stdout)
		}
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.Is(err, ErrUsage):
		log.Error("bad command line", "err", err)
	case errors.Is(err, ErrNeedsChange):
		log.Info("repository files need a change", "err", err)
	}
	return ExitCode(err)
}

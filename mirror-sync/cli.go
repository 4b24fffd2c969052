package mirrorsync

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/metalinkd/metalinkd/internal/logging"
)

// Exit codes of the mirror-sync command.
const (
	exitOK      = 0 // everything published (or, with --dry-run, planned)
	exitPartial = 1 // some directory, region or step failed; the rest is done
	exitConfig  = 2 // bad configuration or usage: nothing was attempted
)

// Env is the process environment the command runs in.
type Env struct {
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	// TTY says whether Stderr is a terminal: a progress bar and text logs
	// there, JSON logs and periodic progress lines otherwise.
	TTY bool
}

// Main runs the command line args and returns the exit code.
func Main(ctx context.Context, env Env, args []string) int {
	cmd := "sync"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	log := logging.New(env.Stderr, logging.FormatFor(env.TTY), slog.LevelInfo)
	var err error
	switch cmd {
	case "sync":
		err = runSync(ctx, args, env, log)
	case "provision":
		err = runProvision(ctx, args, env, log)
	case "retire":
		err = runRetire(ctx, args, env, log)
	default:
		err = fmt.Errorf("unknown command %q (sync, provision, retire): %w", cmd, errConfig)
	}
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errConfig):
		log.Error("mirror-sync", "err", err)
		return exitConfig
	default:
		log.Error("mirror-sync", "err", err)
		return exitPartial
	}
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func newFlags(name string, env Env) (*flag.FlagSet, *string, *bool) {
	fs := flag.NewFlagSet("mirror-sync "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfgFile := fs.String("config", "", "configuration file (default $MIRROR_SYNC_CONFIG)")
	dry := fs.Bool("dry-run", false, "print the plan; change nothing")
	return fs, cfgFile, dry
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%v: %w", err, errConfig)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: %w", fs.Args(), errConfig)
	}
	return nil
}

func runSync(ctx context.Context, args []string, env Env, log *slog.Logger) error {
	fs, cfgFile, dry := newFlags("sync", env)
	var regions, dirs multiFlag
	fs.Var(&regions, "region", "sync only this region (repeatable)")
	fs.Var(&dirs, "directory", "sync only this directory (repeatable)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgFile, env.Getenv)
	if err != nil {
		return err
	}
	src, err := newSource(cfg.Source, nil)
	if err != nil {
		return err
	}
	deps := deps{Source: src, Log: log, Out: env.Stdout, Now: time.Now}
	if !*dry {
		deps.Progress = newProgress(env.Stderr, env.TTY, log)
	}
	if cfg.Server != "" {
		deps.Server = NewServerClient(cfg.Server, nil)
	} else {
		log.Warn("no server configured: published repomds are not reported")
	}
	sums, err := syncRegions(ctx, cfg, syncOptions{DryRun: *dry, Regions: regions, Directories: dirs}, deps)
	if len(sums) > 0 && !*dry {
		printSummary(env.Stdout, sums)
	}
	return err
}

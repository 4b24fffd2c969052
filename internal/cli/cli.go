// Package cli implements metalinkd's command line: the server and the
// commands that manage its store.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/metalinkd/metalinkd/internal/logging"
	"github.com/metalinkd/metalinkd/internal/version"
	"github.com/metalinkd/metalinkd/store"
)

// Env is the process environment and standard streams, passed in so that
// commands are testable.
type Env struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// TTY says whether Stderr is a terminal: --log-format auto then
	// writes text, and JSON otherwise.
	TTY bool
	// Signals relays the process's signals to the commands that handle
	// some themselves (serve: SIGHUP); nil relays none. Cancelling the
	// context passed to Main is how SIGINT and SIGTERM reach a command.
	Signals Signals
}

// Signals relays operating-system signals, as signal.Notify and
// signal.Stop do.
type Signals interface {
	Notify(c chan<- os.Signal, sig ...os.Signal)
	Stop(c chan<- os.Signal)
}

// OSSignals relays the process's own signals.
type OSSignals struct{}

// Notify relays sig to c.
func (OSSignals) Notify(c chan<- os.Signal, sig ...os.Signal) { signal.Notify(c, sig...) }

// Stop relays no more signals to c.
func (OSSignals) Stop(c chan<- os.Signal) { signal.Stop(c) }

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1 // the command failed
	ExitUsage = 2 // bad flags or arguments
)

type command struct {
	name, summary string
	run           func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the metalink and mirrorlist server", runServe},
		{"import", "load a mirrors file (or an export) into the store", runImport},
		{"export", "write the store as a mirrors file", runExport},
		{"scan", "scan the master tree: its directories, repomd.xml files and image details", runScan},
		{"crawl", "check which repomd.xml each public mirror serves; record freshness and health", runCrawl},
		{"expire", "drop the alternates of a directory at once", runExpire},
		{"report", "record which repomd.xml a mirror serves for a directory", runReport},
		{"compare", "compare our answers with a reference server's (a switch-over check)", runCompare},
		{"ranges", "load a cloud provider's address ranges (selection by cloud region)", runRanges},
		{"migrate", "apply the PostgreSQL schema migrations", runMigrate},
		{"mirror", "list, add, update, delete, enable or disable mirrors (admin API)", runMirror},
		{"location", "list, add or delete locations (admin API)", runLocation},
		{"repo", "list, add, delete, disable or enable repositories (admin API)", runRepo},
		{"override", "show or replace the netblock → country and country → continent overrides (admin API)", runOverride},
		{"token", "create, list or revoke admin API tokens (on the store)", runToken},
		{"explain", "show why each mirror is or is not in the answer to a query (admin API)", runExplain},
		{"stats", "print or export (CSV) request and countme statistics", runStats},
		{"version", "print the version, VCS revision, commit time and Go version", runVersion},
	}
}

// usageError marks errors caused by the command line itself.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Main runs the command named by args[0] and returns the exit code.
func Main(ctx context.Context, env Env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(env.Stdout)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = append([]string{"version"}, args[1:]...)
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(store.WithActor(ctx, cliActor(env)), env, args[1:])
		var ue usageError
		var ee exitError
		switch {
		case err == nil:
			return ExitOK
		case errors.As(err, &ee):
			fmt.Fprintf(env.Stderr, "metalinkd %s: %v\n", c.name, err)
			return ee.code
		case errors.Is(err, flag.ErrHelp):
			return ExitOK
		case errors.As(err, &ue):
			fmt.Fprintf(env.Stderr, "metalinkd %s: %v\n", c.name, err)
			return ExitUsage
		default:
			fmt.Fprintf(env.Stderr, "metalinkd %s: %v\n", c.name, err)
			return ExitError
		}
	}
	fmt.Fprintf(env.Stderr, "metalinkd: unknown command %q\n\n", args[0])
	printUsage(env.Stderr)
	return ExitUsage
}

// runVersion prints the build: "metalinkd v1.2.3 (abc1234, 2026-11-30T00:00:00Z, go1.26.8)".
func runVersion(_ context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "version", "", "Print the module version, VCS revision, commit time and Go version.")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	_, err := fmt.Fprintln(env.Stdout, "metalinkd", version.Get().String())
	return err
}

// cliActor names the person running a command in the audit log.
func cliActor(env Env) string {
	if u := env.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "metalinkd: a MirrorManager-compatible metalink and mirrorlist server that lists")
	fmt.Fprintln(w, "each cloud guest's regional mirror first.")
	fmt.Fprintln(w, "\nUsage: metalinkd COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'metalinkd COMMAND -h' for the flags of a command, 'metalinkd --version' for the build.")
	fmt.Fprintln(w, "Exit codes: 0 success, 1 the command failed, 2 bad usage; crawl adds its own (see its -h).")
}

// newFlagSet returns a flag set whose usage text lists every flag.
func newFlagSet(env Env, name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stdout, "Usage: metalinkd %s %s\n\n%s\n\nFlags:\n", name, synopsis, about)
		fs.SetOutput(env.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(env.Stderr)
	}
	return fs
}

// parse parses flags; a flag error becomes a usage error.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

// envOr returns the environment variable's value, or def when it is unset.
func envOr(env Env, name, def string) string {
	if v := env.Getenv(name); v != "" {
		return v
	}
	return def
}

// defaultDataDir is where the embedded store lives unless told otherwise:
// $XDG_STATE_HOME/metalinkd, ~/.local/state/metalinkd, or /var/lib/metalinkd.
func defaultDataDir(env Env, sub string) string {
	if x := env.Getenv("XDG_STATE_HOME"); x != "" {
		return filepath.Join(x, sub)
	}
	if h := env.Getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "state", sub)
	}
	return filepath.Join("/var/lib", sub)
}

// newLogger builds the slog logger of --log-format and --log-level: auto is
// text on a terminal and JSON elsewhere.
func newLogger(env Env, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("--log-level %q: want debug, info, warn or error", level)}
	}
	f, ok := logging.ParseFormat(format, env.TTY)
	if !ok {
		return nil, usageError{fmt.Sprintf("--log-format %q: want auto, json or text", format)}
	}
	return logging.New(env.Stderr, f, lv), nil
}

package mirrorsync

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/metalinkd/metalinkd/internal/logging"
	buildinfo "github.com/metalinkd/metalinkd/internal/version"
)

// Exit codes of the mirror-sync command.
const (
	exitOK      = 0 // everything published (or, with --dry-run, planned)
	exitPartial = 1 // some directory, region or step failed; the rest is done
	exitConfig  = 2 // bad configuration or usage: nothing was attempted
	exitLocked  = 3 // another run holds a region's lock: nothing was attempted
)

// Env is the process environment the command runs in.
type Env struct {
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	// TTY says whether Stderr is a terminal: a progress bar, text logs and
	// plain error lines there; JSON logs and periodic progress lines otherwise.
	TTY bool
}

// command is one subcommand of mirror-sync.
type command struct {
	name, synopsis, summary, about string
	run                            func(ctx context.Context, args []string, env Env, c *common) error
}

func commands() []command {
	return []command{
		{"sync", "[--region R]... [--directory D]... [--dry-run] [--wait]",
			"publish the master tree into each region's bucket and report it to the server",
			"Copies each repository directory into the buckets, packages first and repomd.xml last,\n" +
				"reports each published repomd.xml to the server and deletes what no retained version\n" +
				"references. Run `metalinkd scan` before it: the server must know a repomd before a\n" +
				"bucket serves it. Without a command, mirror-sync runs sync.", runSync},
		{"provision", "--region R [--ip-ranges F|URL] [--dry-run]",
			"create a region's bucket and apply its read policy",
			"Creates the bucket if needed and applies the policy that lets the region's EC2 addresses\n" +
				"and VPC endpoints read it; prints that policy and the sync identity's IAM policy.", runProvision},
		{"retire", "(--release N | --prefix DIR) [--dry-run]",
			"stop listing an old release, then delete it from every bucket",
			"Refuses a release still in the master tree or still configured. Tells the server to stop\n" +
				"listing each region's mirror for the prefixes, then deletes them from the buckets.", runRetire},
	}
}

// Main runs the command line args and returns the exit code.
func Main(ctx context.Context, env Env, args []string) int {
	name := "sync"
	if len(args) > 0 {
		switch a := args[0]; {
		case a == "-h" || a == "-help" || a == "--help":
			printUsage(env.Stdout)
			return exitOK
		case a == "help":
			return help(env, args[1:])
		case a == "version" || a == "-version" || a == "--version":
			fmt.Fprintln(env.Stdout, "mirror-sync", buildinfo.Get().String())
			return exitOK
		case !strings.HasPrefix(a, "-"):
			name, args = a, args[1:]
		}
	}
	cmd, ok := lookup(name)
	if !ok {
		fmt.Fprintf(env.Stderr, "mirror-sync: unknown command %q (run 'mirror-sync help')\n", name)
		return exitConfig
	}
	c := &common{}
	err := cmd.run(ctx, args, env, c)
	return c.exit(env, err)
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// help prints the usage of the program or of one command.
func help(env Env, args []string) int {
	if len(args) == 0 {
		printUsage(env.Stdout)
		return exitOK
	}
	cmd, ok := lookup(args[0])
	if !ok {
		fmt.Fprintf(env.Stderr, "mirror-sync: unknown command %q (run 'mirror-sync help')\n", args[0])
		return exitConfig
	}
	c := &common{}
	return c.exit(env, cmd.run(context.Background(), []string{"-h"}, env, c))
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `mirror-sync: publishes the master tree's repositories into one S3 bucket per cloud
region, in an order that never shows a client a repomd.xml pointing at a missing file,
and reports each published repomd.xml to the metalink server.

Usage: mirror-sync [COMMAND] [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `  help       print this text, or a command's ('mirror-sync help sync')
  version    print the version (also --version)

Run 'mirror-sync COMMAND -h' for the flags of a command. Run 'metalinkd scan', then
'mirror-sync sync': the server must know a repomd.xml before a bucket publishes it.

Exit codes:
  0  done (or, with --dry-run, planned)
  1  some directory, region or step failed, or a deadline or the connection breaker
     stopped a region; what finished is published and consistent
  2  bad configuration or usage; nothing was attempted
  3  another mirror-sync holds the lock of a region (see --wait); nothing was attempted

Environment:
  MIRROR_SYNC_CONFIG              the configuration file, unless --config
  MIRROR_SYNC_TOKEN_<REGION>      a region's report token (or _FILE: a file holding it);
                                  token_env in the configuration renames it
  MIRROR_SYNC_LOCK_DIR            where the per-region lock files live, unless --lock-dir;
                                  else $RUNTIME_DIRECTORY, /run/mirror-sync when it exists,
                                  $XDG_RUNTIME_DIR/mirror-sync, or the temporary directory
  AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_CONFIG_FILE,
  AWS_SHARED_CREDENTIALS_FILE     the AWS SDK's standard credential chain
`)
}

// common holds the flags every command has and what they build.
type common struct {
	config    string
	dryRun    bool
	logFormat string
	logLevel  string
	log       *slog.Logger
	level     slog.Level
	json      bool
}

// flags returns a command's flag set with the common flags.
func (c *common) flags(name string, env Env) *flag.FlagSet {
	cmd, _ := lookup(name)
	fs := flag.NewFlagSet("mirror-sync "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stdout, "Usage: mirror-sync %s %s [flags]\n\n%s\n\nFlags:\n", name, cmd.synopsis, cmd.about)
		fs.SetOutput(env.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(env.Stderr)
		fmt.Fprintln(env.Stdout, "\nRun 'mirror-sync help' for exit codes and environment variables.")
	}
	fs.StringVar(&c.config, "config", "", "configuration file (default $MIRROR_SYNC_CONFIG)")
	fs.BoolVar(&c.dryRun, "dry-run", false, "print the plan; change nothing")
	fs.StringVar(&c.logFormat, "log-format", "auto", "log format: text, json, or auto (text on a terminal, else json)")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	return fs
}

// parse parses the flags and builds the logger.
func (c *common) parse(fs *flag.FlagSet, args []string, env Env) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return configError("%v", err)
	}
	if fs.NArg() > 0 {
		return configError("unexpected arguments %q", fs.Args())
	}
	format, ok := logging.ParseFormat(c.logFormat, env.TTY)
	if !ok {
		return configError("--log-format %q: want auto, json or text", c.logFormat)
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(c.logLevel)); err != nil {
		return configError("--log-level %q: want debug, info, warn or error", c.logLevel)
	}
	c.json, c.level = format == logging.JSON, lv
	c.log = logging.New(env.Stderr, format, lv)
	return nil
}

// exit reports err, as one plain line or, with JSON logs, as a log record,
// and returns the exit code.
func (c *common) exit(env Env, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if c.json && c.log != nil {
		c.log.Error("mirror-sync failed", "err", err.Error())
	} else {
		fmt.Fprintf(env.Stderr, "mirror-sync: %v\n", err)
	}
	switch {
	case errors.Is(err, errConfig):
		return exitConfig
	case errors.Is(err, errLocked):
		return exitLocked
	}
	return exitPartial
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

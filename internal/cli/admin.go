package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/metalinkd/metalinkd/internal/adminapi"
	"github.com/metalinkd/metalinkd/internal/secret"
)

// subcommand is one verb of a command group such as `metalinkd mirror`.
type subcommand struct {
	name, summary string
	run           func(ctx context.Context, env Env, args []string) error
}

// runGroup runs the subcommand named by args[0].
func runGroup(ctx context.Context, env Env, group, about string, subs []subcommand, args []string) error {
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: metalinkd %s SUBCOMMAND [flags]\n\n%s\n\nSubcommands:\n", group, about)
		for _, s := range subs {
			fmt.Fprintf(w, "  %-8s %s\n", s.name, s.summary)
		}
		fmt.Fprintf(w, "\nRun 'metalinkd %s SUBCOMMAND -h' for its flags.\n", group)
	}
	if len(args) == 0 {
		usage(env.Stderr)
		return usageError{"a subcommand is required"}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(env.Stdout)
		return flag.ErrHelp
	}
	for _, s := range subs {
		if s.name == args[0] {
			if err := s.run(ctx, env, args[1:]); err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			return nil
		}
	}
	return usageError{fmt.Sprintf("unknown subcommand %q (run 'metalinkd %s -h')", args[0], group)}
}

// parseArgs parses flags that may come before, between or after the
// positional arguments, and checks their number.
func parseArgs(fs *flag.FlagSet, args []string, names ...string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	if len(pos) != len(names) {
		if len(names) == 0 {
			return nil, usageError{fmt.Sprintf("unexpected argument %q", pos[0])}
		}
		return nil, usageError{fmt.Sprintf("want %s, got %d argument(s)", strings.Join(names, " "), len(pos))}
	}
	return pos, nil
}

// stringList is a repeatable flag; an empty value stands for an empty list.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	if *l == nil {
		*l = []string{}
	}
	if v != "" {
		*l = append(*l, v)
	}
	return nil
}

// apiFlags are the flags of every command that talks to the admin API.
type apiFlags struct {
	server  string
	json    bool
	timeout time.Duration
}

func addAPIFlags(env Env, fs *flag.FlagSet) *apiFlags {
	f := &apiFlags{}
	fs.StringVar(&f.server, "server", envOr(env, "METALINKD_SERVER", "http://127.0.0.1:8080"),
		"base `URL` of the metalinkd server (env METALINKD_SERVER); the token comes from METALINKD_TOKEN, or the file named by METALINKD_TOKEN_FILE")
	fs.BoolVar(&f.json, "json", false, "print the server's JSON answer instead of a table")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "give up on the server after this long")
	return f
}

// apiClient calls the admin API for one command.
type apiClient struct {
	api *adminapi.Client
}

// client returns an API client; a missing token is a usage error.
func (f *apiFlags) client(env Env) (*apiClient, error) {
	token, err := secret.FromEnv(env.Getenv, "METALINKD_TOKEN")
	if err != nil {
		return nil, err
	}
	if token == "" {
		return nil, usageError{"no token: set METALINKD_TOKEN (or METALINKD_TOKEN_FILE); 'metalinkd token create --scope admin' makes the first one"}
	}
	if !strings.HasPrefix(f.server, "http://") && !strings.HasPrefix(f.server, "https://") {
		return nil, usageError{fmt.Sprintf("--server %q: want an http:// or https:// URL", f.server)}
	}
	return &apiClient{api: adminapi.NewClient(f.server, token, adminapi.WithTimeout(f.timeout))}, nil
}

// apiError is an error answer of the admin API, with a hint where the
// token is at fault.
type apiError struct{ err *adminapi.Error }

func (e apiError) Error() string {
	msg := e.err.Error()
	if e.err.Status == http.StatusUnauthorized {
		msg += "\n  check METALINKD_TOKEN"
	}
	return msg
}

func (e apiError) Unwrap() error { return e.err }

// call makes a request and either prints the raw JSON answer (--json) or
// decodes it into out for the caller to print.
func (c *apiClient) call(ctx context.Context, env Env, f *apiFlags, method, path string, in, out any) (printed bool, err error) {
	raw, err := c.api.Do(ctx, method, path, in, nil)
	if err != nil {
		var ae *adminapi.Error
		if errors.As(err, &ae) {
			return false, apiError{ae}
		}
		return false, err
	}
	if f.json {
		_, err := env.Stdout.Write(raw)
		return true, err
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return false, fmt.Errorf("the server's answer: %w", err)
		}
	}
	return false, nil
}

// table prints aligned columns; empty cells show as "-".
func table(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			if c == "" {
				c = "-"
			}
			cells[i] = c
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func timeCell(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// action is an admin subcommand that sends one bodiless request about the
// resource its positional arguments name, then says what it did.
type action struct {
	name, about string
	args        []string // names of the positional arguments, e.g. NAME or PREFIX ARCH
	method      string
	path        func(pos []string) string
	done        string // printed on success, followed by the arguments
}

func (a action) run(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, a.name, strings.Join(a.args, " ")+" [flags]", a.about)
	af := addAPIFlags(env, fs)
	pos, err := parseArgs(fs, args, a.args...)
	if err != nil {
		return err
	}
	c, err := af.client(env)
	if err != nil {
		return err
	}
	if printed, err := c.call(ctx, env, af, a.method, a.path(pos), nil, nil); err != nil || printed {
		return err
	}
	_, err = fmt.Fprintln(env.Stdout, a.done, strings.Join(pos, " "))
	return err
}

// list runs a "list" subcommand: it GETs path into out and reports whether
// --json already printed the answer, leaving the table to the caller.
func list(ctx context.Context, env Env, args []string, name, about, path string, out any) (printed bool, err error) {
	fs := newFlagSet(env, name, "[flags]", about)
	af := addAPIFlags(env, fs)
	if _, err := parseArgs(fs, args); err != nil {
		return false, err
	}
	c, err := af.client(env)
	if err != nil {
		return false, err
	}
	return c.call(ctx, env, af, http.MethodGet, path, nil, out)
}

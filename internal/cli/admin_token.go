package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/metalinkd/metalinkd/server/admin"
	"github.com/metalinkd/metalinkd/store"
)

// The token commands act on the store directly, so that the first admin
// token can be made before any exists; the API's /tokens does the same
// for a running server.
func runToken(ctx context.Context, env Env, args []string) error {
	return runGroup(ctx, env, "token", "Manage admin API tokens directly on the store (no server needed).", []subcommand{
		{"create", "make a token and print its secret, once", tokenCreate},
		{"list", "list the tokens (never their secrets)", tokenList},
		{"revoke", "make a token stop working at once", tokenRevoke},
	}, args)
}

// tokenJSON is a token as the commands print it with --json.
type tokenJSON struct {
	ID      string     `json:"id"`
	Name    string     `json:"name"`
	Scopes  []string   `json:"scopes"`
	Created time.Time  `json:"created"`
	Revoked *time.Time `json:"revoked,omitempty"`
	Secret  string     `json:"secret,omitempty"`
}

func tokenOut(t store.Token) tokenJSON {
	out := tokenJSON{ID: t.ID, Name: t.Name, Scopes: t.Scopes, Created: t.Created}
	if !t.Revoked.IsZero() {
		out.Revoked = &t.Revoked
	}
	return out
}

func printJSON(env Env, v any) error {
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func tokenCreate(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "token create", "--scope SCOPE... [--name NAME] [flags]",
		"Make a token and print its secret on standard output. The secret is shown this once: only its\n"+
			"SHA-256 is stored. Scopes: admin (everything) or report:MIRROR (only that mirror's freshness\n"+
			"reports and forgets, for its sync job). Use it as METALINKD_TOKEN or Authorization: Bearer.")
	choice := storeFlags(env, fs)
	var scopes stringList
	fs.Var(&scopes, "scope", "`scope` of the token: admin or report:MIRROR (repeatable)")
	name := fs.String("name", "", "what the token is for, for people (default: its scopes)")
	asJSON := fs.Bool("json", false, "print the token with its secret as JSON")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	if len(scopes) == 0 {
		return usageError{"--scope is required: admin or report:MIRROR"}
	}
	st, err := choice.resolveAndOpen(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	secret, tok, err := admin.IssueToken(ctx, st, st, *name, scopes, time.Now())
	if err != nil {
		return err
	}
	if *asJSON {
		out := tokenOut(tok)
		out.Secret = secret
		return printJSON(env, out)
	}
	fmt.Fprintf(env.Stderr, "created token %s (%s); its secret follows and is not shown again\n", tok.ID, strings.Join(tok.Scopes, " "))
	_, err = fmt.Fprintln(env.Stdout, secret)
	return err
}

func tokenList(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "token list", "[flags]", "List the tokens: id, name, scopes, when made and when revoked.")
	choice := storeFlags(env, fs)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	st, err := choice.resolveAndOpen(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	ts, err := st.ListTokens(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]tokenJSON, len(ts))
		for i, t := range ts {
			out[i] = tokenOut(t)
		}
		return printJSON(env, map[string][]tokenJSON{"tokens": out})
	}
	rows := make([][]string, len(ts))
	for i, t := range ts {
		rows[i] = []string{t.ID, t.Name, strings.Join(t.Scopes, " "), timeCell(t.Created), timeCell(t.Revoked)}
	}
	return table(env.Stdout, []string{"ID", "NAME", "SCOPES", "CREATED", "REVOKED"}, rows)
}

func tokenRevoke(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "token revoke", "ID [flags]", "Revoke a token: requests with it get 401 from then on.")
	choice := storeFlags(env, fs)
	pos, err := parseArgs(fs, args, "ID")
	if err != nil {
		return err
	}
	st, err := choice.resolveAndOpen(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.RevokeToken(ctx, pos[0], time.Now()); err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "revoked token %s\n", pos[0])
	return err
}

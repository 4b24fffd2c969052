package cli

import (
	"context"
	"flag"
	"net/url"

	"github.com/metalinkd/metalinkd/internal/secret"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/postgres"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// storeChoice says which store a command uses: PostgreSQL when a database
// URL is given, else the embedded store in a data directory.
type storeChoice struct {
	DataDir     string
	DatabaseURL string
}

// storeFlags adds --data-dir and --database-url, with environment defaults.
func storeFlags(env Env, fs *flag.FlagSet) *storeChoice {
	c := &storeChoice{}
	fs.StringVar(&c.DataDir, "data-dir", env.Getenv("METALINKD_DATA_DIR"), "`directory` of the embedded store (env METALINKD_DATA_DIR; default $XDG_STATE_HOME/metalinkd or ~/.local/state/metalinkd)")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL `URL`; when set, the PostgreSQL store is used instead of the embedded one (env DATABASE_URL, or DATABASE_URL_FILE naming a file that holds it)")
	return c
}

// resolve fills defaults from the environment after flags were parsed.
func (c *storeChoice) resolve(env Env, demo bool) error {
	if c.DatabaseURL == "" {
		dsn, err := secret.FromEnv(env.Getenv, "DATABASE_URL")
		if err != nil {
			return err
		}
		c.DatabaseURL = dsn
	}
	if c.DataDir == "" {
		sub := "metalinkd"
		if demo {
			sub = "metalinkd-demo"
		}
		c.DataDir = defaultDataDir(env, sub)
	}
	return nil
}

// resolveAndOpen resolves the choice and opens the store.
func (c *storeChoice) resolveAndOpen(ctx context.Context, env Env) (store.Store, error) {
	if err := c.resolve(env, false); err != nil {
		return nil, err
	}
	return c.open(ctx)
}

// open opens the chosen store, once resolved: the embedded one is created,
// or its schema brought up to date, on the way.
func (c *storeChoice) open(ctx context.Context, opts ...postgres.Option) (store.Store, error) {
	if c.DatabaseURL != "" {
		return postgres.Open(ctx, c.DatabaseURL, opts...)
	}
	return sqlite.Open(ctx, c.DataDir)
}

// String describes the store without secrets, for logs and --print-config.
func (c *storeChoice) String() string {
	if c.DatabaseURL == "" {
		return "embedded:" + c.DataDir
	}
	return "postgres:" + redactURL(c.DatabaseURL)
}

// redactURL hides the password of a database URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "(unparsed connection string)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

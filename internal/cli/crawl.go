package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/metalinkd/metalinkd/internal/crawler"
	"github.com/metalinkd/metalinkd/store"
)

// Exit codes of crawl beyond the common ones.
const (
	ExitLocked      = 3 // another crawler holds the crawl lock
	ExitInterrupted = 4 // SIGINT or SIGTERM ended a crawl before every mirror was done
)

// DefaultKeepPropagation is how long propagation points are kept.
const DefaultKeepPropagation = 30 * 24 * time.Hour

const crawlAbout = `Check which repodata/repomd.xml every public mirror serves for every scanned directory,
and record it: freshness (source crawl), the health of each protocol, and per directory how
many mirrors carry the current repomd (propagation). Public means enabled by its admin, not
private and not a regional bucket; mirrors the crawler disabled are crawled so they can recover.

HTTP and HTTPS: one GET of DIR/repodata/repomd.xml per directory over kept-alive connections,
compared by size, then sha256, with the current repomd and its alternates; conditional requests
in --every mode. rsync: one listing of every repomd.xml below the directories' common parent,
compared by size and modification time; used for a mirror with an rsync URL and at least
--rsync-min-dirs directories to check, or no HTTP at all. Each other protocol is probed with
one directory.

--category selects the directories equal to or under a leading path of the master tree
(fedora, fedora/linux/updates); --repo those of a repository, as PREFIX or PREFIX/ARCH.

Exit codes: 0 done (mirrors that failed are findings, not errors), 1 the crawl failed (store,
configuration), 2 bad usage, 3 another crawler holds the crawl lock, 4 interrupted by SIGINT or
SIGTERM during a crawl (the mirrors done before are recorded).`

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// crawlOptions are crawl's flags.
type crawlOptions struct {
	filter          crawler.Filter
	cfg             crawler.Config
	policy          store.CrawlPolicy
	dryRun          bool
	every           time.Duration
	keepPropagation time.Duration
	caFile          string
}

func crawlFlags(env Env, fs *flag.FlagSet) *crawlOptions {
	o := &crawlOptions{}
	fs.Var((*listFlag)(&o.filter.Mirrors), "mirror", "crawl only this mirror `NAME` (repeatable)")
	fs.Var((*listFlag)(&o.filter.Categories), "category", "crawl only directories equal to or under this leading `PATH` of the master tree (repeatable)")
	fs.Var((*listFlag)(&o.filter.Repos), "repo", "crawl only the directories of this repository, `PREFIX[/ARCH]` (repeatable)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print what recording would change per mirror and directory, and which mirrors would be disabled or recover; write nothing")
	fs.IntVar(&o.cfg.Concurrency, "concurrency", crawler.DefaultConcurrency, "mirrors crawled at once")
	fs.IntVar(&o.cfg.PerMirror, "per-mirror", crawler.DefaultPerMirror, "connections to one mirror at once")
	fs.DurationVar(&o.cfg.Timeout, "timeout", crawler.DefaultTimeout, "bound on one request (connect, headers, body) or rsync's I/O")
	fs.DurationVar(&o.cfg.Deadline, "deadline", crawler.DefaultDeadline, "bound on crawling one mirror; a mirror cut off counts as failed")
	fs.IntVar(&o.cfg.RsyncMinDirs, "rsync-min-dirs", crawler.DefaultRsyncMinDirs, "list a mirror over rsync instead of HTTP from this many directories on")
	fs.StringVar(&o.cfg.Rsync, "rsync", "rsync", "the rsync client `program`")
	fs.StringVar(&o.caFile, "ca-file", env.Getenv("METALINKD_CRAWL_CA_FILE"), "PEM `file` of the certificate authorities HTTPS mirrors are checked against, instead of the system's (env METALINKD_CRAWL_CA_FILE)")
	fs.IntVar(&o.policy.DisableAfter, "disable-after", store.DefaultDisableAfter, "consecutive failed crawls that take a mirror out of answers (0: never)")
	fs.BoolVar(&o.policy.ManualRecovery, "manual-recovery", false, "keep a mirror the crawler disabled out of answers until an admin recovers it")
	fs.DurationVar(&o.every, "every", 0, "crawl again this long after each crawl started, until SIGINT or SIGTERM (0: crawl once)")
	fs.DurationVar(&o.keepPropagation, "keep-propagation", DefaultKeepPropagation, "how long propagation points are kept")
	return o
}

func (o *crawlOptions) validate() error {
	switch {
	case o.cfg.Concurrency < 1:
		return usageError{"--concurrency must be at least 1"}
	case o.cfg.PerMirror < 1:
		return usageError{"--per-mirror must be at least 1"}
	case o.cfg.Timeout <= 0 || o.cfg.Deadline <= 0:
		return usageError{"--timeout and --deadline must be positive"}
	case o.cfg.RsyncMinDirs < 1:
		return usageError{"--rsync-min-dirs must be at least 1"}
	case o.policy.DisableAfter < 0:
		return usageError{"--disable-after must not be negative"}
	case o.every < 0 || o.keepPropagation <= 0:
		return usageError{"--every must not be negative and --keep-propagation must be positive"}
	}
	for _, r := range o.filter.Repos {
		if p, a, _ := strings.Cut(r, "/"); p == "" || strings.Contains(a, "/") {
			return usageError{fmt.Sprintf("--repo %q: want PREFIX or PREFIX/ARCH", r)}
		}
	}
	if o.caFile != "" {
		b, err := os.ReadFile(o.caFile)
		if err != nil {
			return fmt.Errorf("--ca-file: %w", err)
		}
		o.cfg.RootCAs = x509.NewCertPool()
		if !o.cfg.RootCAs.AppendCertsFromPEM(b) {
			return usageError{fmt.Sprintf("--ca-file %s holds no PEM certificate", o.caFile)}
		}
	}
	return nil
}

func runCrawl(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "crawl", "[flags]", crawlAbout)
	choice := storeFlags(env, fs)
	o := crawlFlags(env, fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if err := o.validate(); err != nil {
		return err
	}
	st, err := choice.resolveAndOpen(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	c := crawler.New(o.cfg)
	for {
		started := time.Now()
		err := crawlOnce(ctx, env, st, c, o)
		var ee exitError
		if o.every > 0 && errors.As(err, &ee) && ee.code == ExitInterrupted {
			fmt.Fprintln(env.Stdout, "stopped during a crawl: the mirrors done were recorded")
			return nil
		}
		if err != nil {
			return err
		}
		if o.every == 0 {
			return nil
		}
		wait := time.Until(started.Add(o.every))
		fmt.Fprintf(env.Stdout, "next crawl at %s\n", time.Now().Add(wait).UTC().Format(time.RFC3339))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// exitError is an error with its own exit code.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

// crawlOnce runs one crawl under the crawl lock (none for --dry-run).
func crawlOnce(ctx context.Context, env Env, st store.Store, c *crawler.Crawler, o *crawlOptions) error {
	if !o.dryRun {
		unlock, err := st.LockCrawl(ctx)
		if errors.Is(err, store.ErrLocked) {
			return exitError{ExitLocked, fmt.Errorf("%w; try again once it is done", err)}
		}
		if err != nil {
			return err
		}
		defer unlock()
	}
	mirrors, dirs, err := crawlTargets(ctx, st, o.filter)
	if err != nil {
		return err
	}
	run := newCrawlRun(env, st, o, len(mirrors), dirs)
	err = c.Crawl(ctx, mirrors, dirs, run.record)
	run.progress.done()
	if errors.Is(err, crawler.ErrInterrupted) {
		run.printSummary()
		return exitError{ExitInterrupted, errors.New("interrupted: the mirrors done were recorded, the others and propagation were not")}
	}
	if err != nil {
		return err
	}
	if !o.dryRun {
		if err := st.RecordPropagation(ctx, run.tally.Points(run.started), o.keepPropagation); err != nil {
			return err
		}
	}
	run.printSummary()
	return nil
}

// crawlTargets returns the mirrors and directories the filter selects.
func crawlTargets(ctx context.Context, st store.Store, f crawler.Filter) ([]store.Mirror, []store.Directory, error) {
	all, err := st.Mirrors(ctx)
	if err != nil {
		return nil, nil, err
	}
	mirrors, unknown := f.SelectMirrors(all)
	if len(unknown) > 0 {
		return nil, nil, usageError{fmt.Sprintf("no such mirror: %s", strings.Join(unknown, ", "))}
	}
	dirs, err := st.Directories(ctx, "")
	if err != nil {
		return nil, nil, err
	}
	var repos []store.Repository
	if len(f.Repos) > 0 {
		if repos, err = st.Repositories(ctx); err != nil {
			return nil, nil, err
		}
	}
	dirs = f.SelectDirectories(dirs, repos)
	if len(dirs) == 0 {
		return nil, nil, usageError{"no scanned directory matches; run scan first, or check --category and --repo"}
	}
	return mirrors, dirs, nil
}

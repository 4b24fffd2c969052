package mirrorsync

import (
	"context"
	"flag"
	"time"

	"github.com/metalinkd/metalinkd/internal/logging"
)

// progressInterval is how often progress is logged when stderr is not a
// terminal.
const progressInterval = 30 * time.Second

func runSync(ctx context.Context, args []string, env Env, c *common) error {
	fs := c.flags("sync", env)
	var regions, dirs multiFlag
	fs.Var(&regions, "region", "sync only this `region` (repeatable)")
	fs.Var(&dirs, "directory", "sync only this `directory` of the tree (repeatable)")
	lockDir := fs.String("lock-dir", "", "directory of the per-region lock files (default $MIRROR_SYNC_LOCK_DIR, $RUNTIME_DIRECTORY, /run/mirror-sync, ...)")
	wait := fs.Bool("wait", false, "wait for another run of the same region to end instead of exiting with code 3")
	deadline := durationFlag(fs, "deadline", "stop the whole run after this `duration` (default: deadline of the configuration, else 8h)")
	regionDeadline := durationFlag(fs, "region-deadline", "stop each region after this `duration` (default: region_deadline of the configuration, else 6h)")
	breakerLimit := fs.Int("max-connection-failures", 0, "stop a region after this many consecutive refused, reset or timed-out connections (default: max_connection_failures of the configuration, else 10)")
	if err := c.parse(fs, args, env); err != nil {
		return err
	}
	cfg, err := loadConfig(c.config, env.Getenv)
	if err != nil {
		return err
	}
	if *deadline > 0 {
		cfg.Deadline = duration(*deadline)
	}
	if *regionDeadline > 0 {
		cfg.RegionDeadline = duration(*regionDeadline)
	}
	if *breakerLimit > 0 {
		cfg.MaxConnectionFailures = *breakerLimit
	}
	src, err := newSource(cfg.Source, nil)
	if err != nil {
		return err
	}
	selected, err := selectRegions(cfg, regions)
	if err != nil {
		return err
	}
	if !c.dryRun {
		dir := *lockDir
		if dir == "" {
			dir = defaultLockDir(env.Getenv)
		}
		if *wait {
			c.log.Info("waiting for the region locks", "lock_dir", dir)
		}
		locks, err := lockRegions(ctx, dir, selected, *wait)
		if err != nil {
			return err
		}
		defer locks.release()
	}
	log := c.log
	d := deps{Source: src, Log: log, Out: env.Stdout, Now: time.Now}
	if !c.dryRun {
		d.Progress = newProgress(env.Stderr, env.TTY && !c.json, log, progressInterval)
		if env.TTY && !c.json {
			// Records print above the bars instead of through them.
			format, _ := logging.ParseFormat(c.logFormat, env.TTY)
			d.Log = logging.New(d.Progress, format, c.level)
			d.Progress.log = d.Log
		}
	}
	if cfg.Server != "" {
		d.Server = NewServerClient(cfg.Server, nil)
	} else {
		log.Warn("no server configured: published repomds are not reported")
	}
	sums, err := syncRegions(ctx, cfg, syncOptions{DryRun: c.dryRun, Regions: regions, Directories: dirs}, d)
	if len(sums) > 0 && !c.dryRun {
		printSummary(env.Stdout, sums)
	}
	return err
}

func runProvision(ctx context.Context, args []string, env Env, c *common) error {
	fs := c.flags("provision", env)
	region := fs.String("region", "", "the region to provision (required)")
	ipRanges := fs.String("ip-ranges", "", "ip-ranges.json path or URL (default: ip_ranges of the configuration)")
	if err := c.parse(fs, args, env); err != nil {
		return err
	}
	cfg, err := loadConfig(c.config, env.Getenv)
	if err != nil {
		return err
	}
	if *ipRanges != "" {
		cfg.IPRanges = *ipRanges
	}
	if *region == "" {
		return configError("provision: --region is required")
	}
	r, err := cfg.region(*region)
	if err != nil {
		return err
	}
	res, err := provision(ctx, cfg, r, c.dryRun, c.log)
	if err != nil {
		return err
	}
	printPolicies(env.Stdout, r, res)
	return nil
}

func runRetire(ctx context.Context, args []string, env Env, c *common) error {
	fs := c.flags("retire", env)
	release := fs.String("release", "", "retire this release (its release_prefixes)")
	prefix := fs.String("prefix", "", "retire this directory prefix of the tree")
	lockDir := fs.String("lock-dir", "", "directory of the per-region lock files (as for sync)")
	wait := fs.Bool("wait", false, "wait for running syncs of the regions to end instead of exiting with code 3")
	if err := c.parse(fs, args, env); err != nil {
		return err
	}
	cfg, err := loadConfig(c.config, env.Getenv)
	if err != nil {
		return err
	}
	prefixes, err := retirePrefixes(cfg, *release, *prefix)
	if err != nil {
		return err
	}
	d := deps{Log: c.log, Out: env.Stdout}
	if cfg.Server != "" {
		d.Server = NewServerClient(cfg.Server, nil)
	}
	if !c.dryRun {
		// A sync going on would upload what retire deletes.
		dir := *lockDir
		if dir == "" {
			dir = defaultLockDir(env.Getenv)
		}
		regions, _ := selectRegions(cfg, nil)
		locks, err := lockRegions(ctx, dir, regions, *wait)
		if err != nil {
			return err
		}
		defer locks.release()
	}
	src, err := newSource(cfg.Source, nil)
	if err != nil {
		return err
	}
	d.Source = src
	_, err = retire(ctx, cfg, prefixes, c.dryRun, d)
	return err
}

// durationFlag defines a flag that takes a Go duration or whole days ("4d").
func durationFlag(fs *flag.FlagSet, name, usage string) *time.Duration {
	d := new(time.Duration)
	fs.Func(name, usage, func(s string) error {
		v, err := parseDuration(s)
		if err != nil {
			return err
		}
		*d = v
		return nil
	})
	return d
}

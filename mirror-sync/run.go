package mirrorsync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// errPartial marks a run in which some directory or region did not finish;
// what did finish is published and consistent.
var errPartial = errors.New("partial failure")

// summary is one region's account of a run.
type summary struct {
	Region        string
	Directories   int
	Failed        int
	Uploaded      int
	UploadedBytes int64
	Skipped       int
	Deleted       int
	Withdrawn     int
	Reported      int
	Duration      time.Duration
	Requests      *counter
}

// syncOptions narrows a run.
type syncOptions struct {
	DryRun      bool
	Regions     []string // empty: all configured
	Directories []string // empty: the configured ones, else all in the source
}

// deps are what a run needs from outside: the source, the logger, where the
// plan and summary go, the progress display and the clock.
type deps struct {
	Source   source
	Log      *slog.Logger
	Out      io.Writer
	Progress *progress
	Now      func() time.Time
	Server   *ServerClient // nil: no reports
}

// syncRegions publishes every directory into every selected region: a directory
// at a time (so memory holds one manifest), all regions at once.
func syncRegions(ctx context.Context, cfg *config, opts syncOptions, d deps) ([]*summary, error) {
	regions, err := selectRegions(cfg, opts.Regions)
	if err != nil {
		return nil, err
	}
	dirs, err := selectDirectories(ctx, cfg, d.Source, opts.Directories)
	if err != nil {
		return nil, err
	}
	if d.Server != nil && !opts.DryRun {
		for _, r := range regions {
			if !r.hasToken() {
				return nil, configError("region %s: no report token in $%s or $%s_FILE", r.Name, r.TokenEnv, r.TokenEnv)
			}
		}
	}
	ctx, cancel := context.WithTimeoutCause(ctx, time.Duration(cfg.Deadline), &deadlineError{"the run's", time.Duration(cfg.Deadline)})
	defer cancel()
	var workers []*regionSync
	for _, r := range regions {
		b, err := newBucket(ctx, cfg, r)
		if err != nil {
			return nil, err
		}
		rctx, rcancel := context.WithTimeoutCause(ctx, time.Duration(cfg.RegionDeadline), &deadlineError{"the region's", time.Duration(cfg.RegionDeadline)})
		defer rcancel()
		workers = append(workers, &regionSync{cfg: cfg, region: r, bucket: b, src: d.Source, server: d.Server,
			log: d.Log, now: d.Now, dryRun: opts.DryRun, out: d.Out, progress: d.Progress, ctx: rctx,
			sum: summary{Region: r.Name, Requests: b.Requests}})
	}
	start := d.Now()
	failed := false
	for _, dir := range dirs {
		if ctx.Err() != nil || allStopped(workers) {
			failed = true
			break
		}
		m, err := buildManifest(ctx, d.Source, dir)
		if err != nil {
			d.Log.Error("reading source failed", "directory", dir, "err", err)
			for _, w := range workers {
				w.add(func(s *summary) { s.Directories++; s.Failed++ })
			}
			failed = true
			continue
		}
		if syncDirectory(ctx, workers, m, nestedIn(dir, dirs)) {
			failed = true
		}
	}
	d.Progress.finish()
	var out []*summary
	var stops []error
	for _, w := range workers {
		w.sum.Duration = d.Now().Sub(start)
		out = append(out, &w.sum)
		if err := w.stopped(); err != nil {
			d.Log.Error("region stopped", "region", w.region.Name, "err", err)
			stops = append(stops, err)
		}
	}
	if len(stops) > 0 {
		return out, fmt.Errorf("%w: %w", errPartial, errors.Join(stops...))
	}
	if failed {
		return out, errPartial
	}
	return out, nil
}

// deadlineError is the cause of a run or region stopped by its deadline.
type deadlineError struct {
	scope string
	d     time.Duration
}

func (e *deadlineError) Error() string {
	return fmt.Sprintf("%s deadline of %s passed; the next run resumes from what is published", e.scope, e.d)
}

func (e *deadlineError) Is(target error) bool { return target == context.DeadlineExceeded }

// allStopped reports whether no region can go on.
func allStopped(workers []*regionSync) bool {
	for _, w := range workers {
		if w.stopped() == nil {
			return false
		}
	}
	return true
}

// syncDirectory runs one directory in every region at once and says whether
// any failed.
func syncDirectory(ctx context.Context, workers []*regionSync, m *manifest, nested []string) bool {
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := false
	for _, w := range workers {
		if w.stopped() != nil {
			// Said once, at the end of the run.
			w.add(func(s *summary) { s.Directories++; s.Failed++ })
			mu.Lock()
			failed = true
			mu.Unlock()
			continue
		}
		wg.Go(func() {
			err := w.directory(w.ctx, m, nested)
			w.add(func(s *summary) {
				s.Directories++
				if err != nil {
					s.Failed++
				}
			})
			if err != nil && w.stopped() == nil {
				w.log.Error("directory failed", "region", w.region.Name, "directory", m.Directory, "err", err)
			}
			if err != nil {
				mu.Lock()
				failed = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return failed
}

func selectRegions(cfg *config, names []string) ([]*region, error) {
	if len(names) == 0 {
		out := make([]*region, len(cfg.Regions))
		for i := range cfg.Regions {
			out[i] = &cfg.Regions[i]
		}
		return out, nil
	}
	var out []*region
	for _, n := range names {
		r, err := cfg.region(n)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func selectDirectories(ctx context.Context, cfg *config, src source, only []string) ([]string, error) {
	dirs := cfg.Directories
	if len(dirs) == 0 {
		var err error
		if dirs, err = src.directories(ctx); err != nil {
			return nil, err
		}
	}
	if len(only) == 0 {
		return dirs, nil
	}
	var out []string
	for _, o := range only {
		if !slices.Contains(dirs, o) {
			return nil, configError("directory %q is not among the source's", o)
		}
		out = append(out, o)
	}
	return out, nil
}

// nestedIn lists the directories of dirs that lie inside dir.
func nestedIn(dir string, dirs []string) []string {
	var out []string
	for _, d := range dirs {
		if strings.HasPrefix(d, dir+"/") {
			out = append(out, d)
		}
	}
	return out
}

// printSummary writes one line per region.
func printSummary(w io.Writer, sums []*summary) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tDIRS\tFAILED\tUPLOADED\tSKIPPED\tDELETED\tBYTES\tDURATION\tREQUESTS")
	for _, s := range sums {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", s.Region, s.Directories, s.Failed, s.Uploaded,
			s.Skipped, s.Deleted, humanBytes(s.UploadedBytes), s.Duration.Round(time.Millisecond), s.Requests)
	}
	tw.Flush()
}

// humanBytes renders a byte count in binary units.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

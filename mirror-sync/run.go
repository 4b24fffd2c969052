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

// ErrPartial marks a run in which some directory or region did not finish;
// what did finish is published and consistent.
var ErrPartial = errors.New("partial failure")

// Summary is one region's account of a run.
type Summary struct {
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
	Requests      *Counter
}

// SyncOptions narrows a run.
type SyncOptions struct {
	DryRun      bool
	Regions     []string // empty: all configured
	Directories []string // empty: the configured ones, else all in the source
}

// Deps are what a run needs from outside: the source, the logger, where the
// plan and summary go, the progress display and the clock.
type Deps struct {
	Source   Source
	Log      *slog.Logger
	Out      io.Writer
	Progress *Progress
	Now      func() time.Time
	Server   *ServerClient // nil: no reports
}

// Sync publishes every directory into every selected region: a directory
// at a time (so memory holds one manifest), all regions at once.
func Sync(ctx context.Context, cfg *Config, opts SyncOptions, d Deps) ([]*Summary, error) {
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
			if !r.HasToken() {
				return nil, fmt.Errorf("region %s: no report token in $%s or $%s_FILE: %w", r.Name, r.TokenEnv, r.TokenEnv, ErrConfig)
			}
		}
	}
	var workers []*regionSync
	for _, r := range regions {
		b, err := NewBucket(ctx, cfg, r)
		if err != nil {
			return nil, err
		}
		workers = append(workers, &regionSync{cfg: cfg, region: r, bucket: b, src: d.Source, server: d.Server,
			log: d.Log, now: d.Now, dryRun: opts.DryRun, out: d.Out, progress: d.Progress,
			sum: Summary{Region: r.Name, Requests: b.Requests}})
	}
	start := d.Now()
	failed := false
	for _, dir := range dirs {
		if ctx.Err() != nil {
			failed = true
			break
		}
		m, err := BuildManifest(ctx, d.Source, dir)
		if err != nil {
			d.Log.Error("reading source failed", "directory", dir, "err", err)
			for _, w := range workers {
				w.add(func(s *Summary) { s.Directories++; s.Failed++ })
			}
			failed = true
			continue
		}
		if syncDirectory(ctx, workers, m, nestedIn(dir, dirs)) {
			failed = true
		}
	}
	d.Progress.Finish()
	var out []*Summary
	for _, w := range workers {
		w.sum.Duration = d.Now().Sub(start)
		out = append(out, &w.sum)
	}
	if failed {
		return out, ErrPartial
	}
	return out, nil
}

// syncDirectory runs one directory in every region at once and says whether
// any failed.
func syncDirectory(ctx context.Context, workers []*regionSync, m *Manifest, nested []string) bool {
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := false
	for _, w := range workers {
		wg.Go(func() {
			err := w.directory(ctx, m, nested)
			w.add(func(s *Summary) {
				s.Directories++
				if err != nil {
					s.Failed++
				}
			})
			if err != nil {
				w.log.Error("directory failed", "region", w.region.Name, "directory", m.Directory, "err", err)
				mu.Lock()
				failed = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return failed
}

func selectRegions(cfg *Config, names []string) ([]*Region, error) {
	if len(names) == 0 {
		out := make([]*Region, len(cfg.Regions))
		for i := range cfg.Regions {
			out[i] = &cfg.Regions[i]
		}
		return out, nil
	}
	var out []*Region
	for _, n := range names {
		r, err := cfg.Region(n)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func selectDirectories(ctx context.Context, cfg *Config, src Source, only []string) ([]string, error) {
	dirs := cfg.Directories
	if len(dirs) == 0 {
		var err error
		if dirs, err = src.Directories(ctx); err != nil {
			return nil, err
		}
	}
	if len(only) == 0 {
		return dirs, nil
	}
	var out []string
	for _, o := range only {
		if !slices.Contains(dirs, o) {
			return nil, fmt.Errorf("directory %q is not among the source's: %w", o, ErrConfig)
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

// PrintSummary writes one line per region.
func PrintSummary(w io.Writer, sums []*Summary) {
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

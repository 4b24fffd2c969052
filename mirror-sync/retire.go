package mirrorsync

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// retireResult is what retiring one prefix did (or would do) in one region.
type retireResult struct {
	Region    string
	Prefix    string
	Forgotten int // directories the server stopped listing
	Objects   int
	Bytes     int64
}

var releaseName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// retirePrefixes turns --release or --prefix into tree prefixes ending in "/".
func retirePrefixes(cfg *config, release, prefix string) ([]string, error) {
	switch {
	case (release == "") == (prefix == ""):
		return nil, configError("retire: give exactly one of --release and --prefix")
	case prefix != "":
		p := cleanDir(prefix)
		if p == "" || strings.HasPrefix(p, stateDir) {
			return nil, configError("retire: prefix %q would remove too much", prefix)
		}
		return []string{p + "/"}, nil
	case !releaseName.MatchString(release):
		return nil, configError("retire: release %q", release)
	}
	out := make([]string, len(cfg.ReleasePrefixes))
	for i, t := range cfg.ReleasePrefixes {
		out[i] = cleanDir(strings.ReplaceAll(t, "{release}", release)) + "/"
	}
	return out, nil
}

// retire first tells the server to stop listing each region's mirror for
// the prefixes, then deletes them, with their sync state, from the buckets
// of the regions the server confirmed. A prefix with configured directories
// or still in the master tree is refused: the next sync would publish it
// again.
func retire(ctx context.Context, cfg *config, prefixes []string, dryRun bool, d deps) ([]retireResult, error) {
	for _, dir := range cfg.Directories {
		for _, p := range prefixes {
			if strings.HasPrefix(dir+"/", p) {
				return nil, configError("retire: directory %s is still configured; remove it from directories first", dir)
			}
		}
	}
	if d.Source != nil {
		for _, p := range prefixes {
			example, held, err := d.Source.holds(ctx, p)
			if err != nil {
				return nil, fmt.Errorf("retire: cannot tell whether the master tree still has %s: %w", p, err)
			}
			if held {
				return nil, configError("retire: %s is still in the master tree (%s); remove it there first, or the next sync publishes it again", p, example)
			}
		}
	}
	regions, _ := selectRegions(cfg, nil)
	if d.Server != nil && !dryRun {
		for _, r := range regions {
			if !r.hasToken() {
				return nil, configError("region %s: no token in $%s or $%s_FILE", r.Name, r.TokenEnv, r.TokenEnv)
			}
		}
	}
	var results []retireResult
	var errs []error
	confirmed := map[string]bool{}
	for _, r := range regions {
		confirmed[r.Name] = true
		for _, p := range prefixes {
			res := retireResult{Region: r.Name, Prefix: p}
			if d.Server != nil && !dryRun {
				n, err := d.Server.Forget(ctx, r.Mirror, r.token, strings.TrimSuffix(p, "/")+"/")
				if err != nil {
					errs = append(errs, err)
					confirmed[r.Name] = false
				}
				res.Forgotten = n
			}
			results = append(results, res)
		}
	}
	for _, r := range regions {
		if !confirmed[r.Name] {
			d.Log.Error("server did not confirm; bucket left as it is", "region", r.Name)
			continue
		}
		if err := retireRegion(ctx, cfg, r, results, dryRun, d); err != nil {
			errs = append(errs, err)
		}
	}
	for _, res := range results {
		verb := "deleted"
		if dryRun {
			verb = "would delete"
		}
		fmt.Fprintf(d.Out, "%s %s: server forgot %d directories; %s %d objects (%s)\n", res.Region, res.Prefix, res.Forgotten, verb, res.Objects, humanBytes(res.Bytes))
	}
	if len(errs) > 0 {
		return results, fmt.Errorf("%w: %w", errPartial, joinErrors(errs))
	}
	return results, nil
}

// retireRegion deletes the prefixes and their state objects from one bucket.
func retireRegion(ctx context.Context, cfg *config, r *region, results []retireResult, dryRun bool, d deps) error {
	b, err := newBucket(ctx, cfg, r)
	if err != nil {
		return err
	}
	for i := range results {
		res := &results[i]
		if res.Region != r.Name {
			continue
		}
		var paths []string
		for _, under := range []string{res.Prefix, stateDir + "/" + res.Prefix} {
			objs, err := b.list(ctx, under)
			if err != nil {
				return err
			}
			for _, o := range objs {
				paths = append(paths, o.Path)
				res.Objects++
				res.Bytes += o.Size
			}
		}
		if dryRun || len(paths) == 0 {
			continue
		}
		if err := b.deleteObjects(ctx, paths); err != nil {
			return err
		}
		d.Log.Info("retired", "region", r.Name, "prefix", res.Prefix, "objects", len(paths))
	}
	return nil
}

package mirrorsync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// regionSync publishes directories into one region's bucket.
type regionSync struct {
	cfg      *config
	region   *region
	bucket   *bucket
	src      source
	server   *ServerClient // nil: reports are off
	log      *slog.Logger
	now      func() time.Time
	dryRun   bool
	out      io.Writer
	progress *progress
	// ctx bounds the region's work: its deadline, the run's, a signal.
	ctx context.Context

	mu  sync.Mutex // guards sum and the state during a phase
	sum summary
}

// stopped returns why the region cannot go on: its breaker opened, a
// deadline passed or the run was interrupted; nil while it can.
func (r *regionSync) stopped() error {
	if err := r.bucket.breaker.tripped(); err != nil {
		return fmt.Errorf("region %s: %w", r.region.Name, err)
	}
	if r.ctx.Err() == nil {
		return nil
	}
	cause := context.Cause(r.ctx)
	if errors.Is(cause, context.Canceled) {
		cause = errors.New("interrupted; the next run resumes from what is published")
	}
	return fmt.Errorf("region %s: %w", r.region.Name, cause)
}

// directory brings one directory of the bucket to the manifest: verify what
// the state cannot vouch for, withdraw a repomd that an overwrite would make
// lie, upload packages, metadata, repomd.xml and its signature in that
// order, record the version, report it, and collect what has expired.
func (r *regionSync) directory(ctx context.Context, m *manifest, nested []string) error {
	dir := m.Directory
	objs, err := r.bucket.list(ctx, dir+"/")
	if err != nil {
		return err
	}
	listed := make(map[string]object, len(objs))
	for _, o := range objs {
		listed[o.Path] = o
	}
	st, err := loadState(ctx, r.bucket, dir, r.now())
	if err != nil {
		return err
	}
	st.forget(listed)
	if err := r.verify(ctx, st, unverified(m, listed, st)); err != nil {
		return err
	}
	plan := makePlan(m, listed, st)
	if r.dryRun {
		st.publish(m, r.now())
		printPlan(r.out, r.region.Name, plan, collectable(m, listed, nested, st, r.now(), time.Duration(r.cfg.Grace)))
		return nil
	}
	r.add(func(s *summary) { s.Skipped += plan.Skipped })
	r.progress.plan(r.region.Name, len(plan.Uploads), plan.UploadBytes)
	if len(plan.Withdraw) > 0 {
		r.log.Warn("withdrawing repomd before replacing files it references", "region", r.region.Name, "directory", dir)
		if err := r.bucket.deleteObjects(ctx, plan.Withdraw); err != nil {
			return err
		}
		r.add(func(s *summary) { s.Withdrawn++ })
	}
	for _, phase := range plan.phases() {
		if phase[0].Kind == kindRepomd {
			// Record the uploads before the repomd goes live, so a rerun
			// after a kill need not read their metadata back.
			if err := st.save(ctx, r.bucket); err != nil {
				return err
			}
			r.warnUnknown(ctx, m)
			if err := r.dropSignature(ctx, st, plan.StaleSignature); err != nil {
				return err
			}
		}
		if err := forEach(ctx, r.cfg.Concurrency, phase, func(ctx context.Context, f file) error {
			return r.uploadOne(ctx, st, f)
		}); err != nil {
			// Record what did upload, so the next run need not read it back.
			sctx, cancel := cleanupContext(ctx)
			_ = st.save(sctx, r.bucket)
			cancel()
			return err
		}
	}
	st.publish(m, r.now())
	reportErr := r.report(ctx, st, m)
	if err := r.collect(ctx, st, m, listed, nested); err != nil {
		return errors.Join(reportErr, err)
	}
	if err := st.save(ctx, r.bucket); err != nil {
		return errors.Join(reportErr, err)
	}
	return reportErr
}

// verify reads the metadata of objects the state does not vouch for.
func (r *regionSync) verify(ctx context.Context, st *state, objs []object) error {
	return forEach(ctx, r.cfg.Concurrency, objs, func(ctx context.Context, o object) error {
		obj, sums, err := r.bucket.head(ctx, o.Path)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if sums["sha256"] != "" {
			r.mu.Lock()
			st.record(o.Path, obj.Size, obj.ETag, sums)
			r.mu.Unlock()
		}
		return nil
	})
}

// warnUnknown warns, before a repomd.xml goes up, when the server does
// not list it: the metalink then leaves this mirror out (and the report
// fails) until `metalinkd scan` records it. It never stops the sync.
func (r *regionSync) warnUnknown(ctx context.Context, m *manifest) {
	if r.server == nil {
		return
	}
	known, err := r.server.Knows(ctx, m.Directory, m.RepomdSHA256)
	switch {
	case err != nil:
		r.log.Warn("could not ask the server whether it knows the repomd.xml", "region", r.region.Name, "directory", m.Directory, "err", err)
	case !known:
		r.log.Warn("the server does not know the repomd.xml about to be published; run `metalinkd scan` before mirror-sync, or clients' metalinks leave this mirror out until the next scan",
			"region", r.region.Name, "directory", m.Directory, "sha256", m.RepomdSHA256)
	}
}

// dropSignature deletes a signature that will not match the repomd.xml
// about to go up.
func (r *regionSync) dropSignature(ctx context.Context, st *state, stale []string) error {
	if len(stale) == 0 {
		return nil
	}
	if err := r.bucket.deleteObjects(ctx, stale); err != nil {
		return err
	}
	r.mu.Lock()
	for _, p := range stale {
		delete(st.Objects, p)
	}
	st.dirty = true
	r.mu.Unlock()
	return nil
}

func (r *regionSync) uploadOne(ctx context.Context, st *state, f file) error {
	name := r.region.Name
	etag, size, sums, err := upload(ctx, r.src, r.bucket, f, func(n int64) { r.progress.sent(name, n) })
	if err != nil {
		if r.stopped() == nil {
			// A stopped region says why once, not once per file.
			r.log.Error("upload failed", "region", r.region.Name, "path", f.Path, "err", err)
		}
		return err
	}
	r.mu.Lock()
	st.record(f.Path, size, etag, sums)
	r.mu.Unlock()
	r.add(func(s *summary) { s.Uploaded++; s.UploadedBytes += size })
	r.progress.done(name)
	return nil
}

// report tells the server which repomd the bucket now serves, once.
func (r *regionSync) report(ctx context.Context, st *state, m *manifest) error {
	if r.server == nil || st.Reported == m.RepomdSHA256 {
		return nil
	}
	err := r.server.Report(ctx, r.region.Mirror, r.region.token, m.Directory, m.RepomdSHA256)
	if err != nil {
		r.log.Error("report failed", "region", r.region.Name, "mirror", r.region.Mirror, "directory", m.Directory, "err", err)
		return err
	}
	st.setReported(m.RepomdSHA256)
	r.add(func(s *summary) { s.Reported++ })
	return nil
}

// collect deletes what no retained version references, after the new repomd
// is live (the caller only gets here once it is).
func (r *regionSync) collect(ctx context.Context, st *state, m *manifest, listed map[string]object, nested []string) error {
	gone := collectable(m, listed, nested, st, r.now(), time.Duration(r.cfg.Grace))
	if len(gone) == 0 {
		return nil
	}
	if err := r.bucket.deleteObjects(ctx, gone); err != nil {
		return err
	}
	for _, p := range gone {
		delete(st.Objects, p)
	}
	st.dirty = true
	r.add(func(s *summary) { s.Deleted += len(gone) })
	return nil
}

func (r *regionSync) add(fn func(*summary)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fn(&r.sum)
}

// printPlan writes a dry run's plan for one directory.
func printPlan(w io.Writer, region string, p *plan, collect []string) {
	fmt.Fprintf(w, "%s %s: upload %d files (%s), skip %d, overwrite %d, collect %d\n",
		region, p.Directory, len(p.Uploads), humanBytes(p.UploadBytes), p.Skipped, p.Overwrites, len(collect))
	for _, w2 := range p.Withdraw {
		fmt.Fprintf(w, "  withdraw %s\n", w2)
	}
	for _, s := range p.StaleSignature {
		fmt.Fprintf(w, "  delete %s (before the new repomd)\n", s)
	}
	for _, f := range p.Uploads {
		fmt.Fprintf(w, "  put %-9s %s (%s)\n", f.Kind, f.Path, humanBytes(max(f.Size, 0)))
	}
	for _, c := range collect {
		fmt.Fprintf(w, "  delete %s\n", c)
	}
}

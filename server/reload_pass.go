package server

import (
	"context"
	"errors"
	"time"

	"github.com/metalinkd/metalinkd/internal/freshness"
	"github.com/metalinkd/metalinkd/metalink"
	"github.com/metalinkd/metalinkd/store"
)

// exportFunc reads a dataset as store.Store.Export does: fn gets it without
// its freshness, and the rows one at a time.
type exportFunc func(fn func(d *store.Dataset, rows store.FreshnessRows) error) error

// pass is what one streaming read of a dataset gives: the dataset but its
// freshness, validated; the freshness tallied for the status page and the
// metrics; and, when one was asked for, the snapshot. The rows themselves
// are never held: at a large network's scale they are most of the dataset.
type pass struct {
	d       *store.Dataset
	counter *freshness.Counter
	snap    *metalink.Snapshot
}

// readPass reads a dataset once through export. It validates the dataset
// but its freshness as Dataset.Validate does, then each row as it comes,
// and fails at the first invalid one; when build is set it builds the
// snapshot, at the time built returns.
func readPass(export exportFunc, build bool, built func() time.Time) (*pass, error) {
	var p *pass
	var b *metalink.Builder
	err := export(func(d *store.Dataset, rows store.FreshnessRows) error {
		if err := d.Validate(); err != nil {
			return err
		}
		check := store.NewFreshnessCheck(d)
		counter := freshness.NewCounter(d.Mirrors, d.Directories, false)
		if build {
			b = metalink.NewBuilder(d, built())
		}
		err := rows(func(f store.Freshness) error {
			if err := check.Check(&f); err != nil {
				return err
			}
			counter.Add(&f)
			if b != nil {
				b.Add(&f)
			}
			return nil
		})
		if err != nil {
			return err
		}
		p = &pass{d: d, counter: counter}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errors.New("the store handed out no dataset")
	}
	if b != nil {
		// Indexed once the store's read is over, so that it is not held open.
		p.snap = b.Snapshot()
	}
	return p, nil
}

// unorderedExporter is a store that reads its freshness faster in no
// particular order than in Export's (PostgreSQL, which would sort it); a
// pass counts and indexes the rows and needs no order.
type unorderedExporter interface {
	ExportUnordered(ctx context.Context, fn func(d *store.Dataset, rows store.FreshnessRows) error) error
}

// storeExport reads r's store, in the order it reads fastest.
func (r *Reloader) storeExport(ctx context.Context) exportFunc {
	if u, ok := r.st.(unorderedExporter); ok {
		return func(fn func(d *store.Dataset, rows store.FreshnessRows) error) error {
			return u.ExportUnordered(ctx, fn)
		}
	}
	return func(fn func(d *store.Dataset, rows store.FreshnessRows) error) error { return r.st.Export(ctx, fn) }
}

// statusPass updates the status page and the dataset metrics from a pass
// over the store's dataset.
func (r *Reloader) statusPass(ctx context.Context) error {
	ctx, cancel := r.bounded(ctx)
	defer cancel()
	p, err := readPass(r.storeExport(ctx), false, nil)
	if err != nil {
		return err
	}
	r.status.SetPropagation(r.propagation(ctx, p.d))
	r.status.UpdateCounted(p.d, p.counter, r.Snapshot())
	r.opts.Metrics.loadedCounted(p.d, p.counter, 0)
	if r.opts.Cache != nil {
		signal(r.cacheDue)
	}
	releaseMemory()
	return nil
}

// saveCache writes the store's dataset, as of now, to the cache.
func (r *Reloader) saveCache(ctx context.Context, now time.Time) error {
	ctx, cancel := r.bounded(ctx)
	defer cancel()
	// Checked as a reload would, so that the cache never holds what a
	// start from it would refuse.
	return r.storeExport(ctx)(func(d *store.Dataset, rows store.FreshnessRows) error {
		if err := d.Validate(); err != nil {
			return err
		}
		check := store.NewFreshnessCheck(d)
		return r.opts.Cache.Write(d, func(yield func(store.Freshness) error) error {
			return rows(func(f store.Freshness) error {
				if err := check.Check(&f); err != nil {
					return err
				}
				return yield(f)
			})
		}, now)
	})
}

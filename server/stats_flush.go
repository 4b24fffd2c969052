package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/metalinkd/metalinkd/metalink"
	"github.com/metalinkd/metalinkd/server/status"
	"github.com/metalinkd/metalinkd/store"
)

// take empties the shards and returns their counts as store rows. Each
// shard's maps are cleared, not replaced, so their memory serves the next
// interval.
func (s *Stats) take() ([]store.RequestCount, []store.CountmeCount) {
	l := s.labels.Load()
	var reqs []store.RequestCount
	var cm []store.CountmeCount
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for k, n := range sh.reqs {
			reqs = append(reqs, store.RequestCount{
				Day:  time.Unix(int64(k.day)*86400, 0).UTC(),
				Repo: l.repos.names[k.repo], Arch: l.arches.names[k.arch], Country: countryName(k.country),
				Location: l.locations.names[k.loc], Step: stepName(k.step), Count: n})
		}
		for k, n := range sh.countme {
			cm = append(cm, store.CountmeCount{
				Week: time.Unix(store.CountmeEpoch+int64(k.week)*store.CountmeWindow, 0).UTC(),
				Repo: l.repos.names[k.repo], Arch: l.arches.names[k.arch], Bucket: int(k.bucket), Count: n})
		}
		clear(sh.reqs)
		clear(sh.countme)
		sh.mu.Unlock()
	}
	return store.SumStats(reqs, cm)
}

// putBack returns counts that could not be written to the shards, so that
// the next flush writes them.
func (s *Stats) putBack(reqs []store.RequestCount, cm []store.CountmeCount) {
	l := s.labels.Load()
	sh := &s.shards[0]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for _, r := range reqs {
		k := requestKey{day: statsDay(r.Day), repo: l.repos.id(r.Repo), arch: l.arches.id(r.Arch),
			loc: l.locations.id(r.Location), country: countryID(r.Country), step: stepByName(r.Step)}
		sh.reqs[k] += r.Count
	}
	for _, c := range cm {
		sh.countme[countmeKey{week: statsWeek(c.Week), repo: l.repos.id(c.Repo), arch: l.arches.id(c.Arch), bucket: uint8(c.Bucket)}] += c.Count
	}
}

// stepByName is the inverse of stepName.
func stepByName(name string) (s metalink.Step) {
	for s = range numSteps {
		if stepName(s) == name {
			return s
		}
	}
	return 0
}

// Flush adds what was counted since the last flush to st, dropping what
// keep no longer keeps as of now; with nothing counted it writes nothing.
// When the store fails, the counts stay here for the next flush.
func (s *Stats) Flush(ctx context.Context, st store.Stats, now time.Time, keep store.StatsRetention) error {
	if s == nil {
		return nil
	}
	reqs, cm := s.take()
	if len(reqs) == 0 && len(cm) == 0 {
		// Nothing to add: an idle server writes nothing; the next flush
		// with counts prunes.
		return nil
	}
	if err := st.AddStats(ctx, reqs, cm, now, keep); err != nil {
		s.putBack(reqs, cm)
		s.flushFailures.Add(1)
		return err
	}
	s.flushes.Add(1)
	s.rowsWritten.Add(uint64(len(reqs) + len(cm)))
	return nil
}

// StatsOptions configure RunStats.
type StatsOptions struct {
	Store store.Stats
	// Every is the flush period.
	Every time.Duration
	// Keep is the retention applied on every flush.
	Keep store.StatsRetention
	// Flushed, when set, is called after each successful flush (the
	// status page reads the totals then).
	Flushed func(ctx context.Context)
	Log     *slog.Logger
	Now     func() time.Time
}

// flushTimeout bounds one flush, the last one at shutdown included.
const flushTimeout = 10 * time.Second

// RunStats flushes s every o.Every until ctx ends, then once more, so that
// what was counted until the server stopped is kept.
func (s *Stats) RunStats(ctx context.Context, o StatsOptions) {
	if o.Now == nil {
		o.Now = time.Now
	}
	flush := func(ctx context.Context) {
		fctx, cancel := context.WithTimeout(ctx, flushTimeout)
		defer cancel()
		if err := s.Flush(fctx, o.Store, o.Now(), o.Keep); err != nil {
			o.Log.Warn("statistics flush failed; the counts are kept for the next one", "err", err)
			return
		}
		if o.Flushed != nil {
			o.Flushed(fctx)
		}
	}
	if o.Flushed != nil {
		fctx, cancel := context.WithTimeout(ctx, flushTimeout)
		o.Flushed(fctx)
		cancel()
	}
	t := time.NewTicker(o.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			flush(context.WithoutCancel(ctx))
			return
		case <-t.C:
			flush(ctx)
		}
	}
}

// ShowUsage reads the statistics the status page charts from st and shows
// them there; the page is rendered again on its next view.
func (r *Reloader) ShowUsage(ctx context.Context, st store.Stats, now time.Time) error {
	day, week := status.UsageSince(now)
	reqs, err := st.RequestStats(ctx, store.StatsQuery{Since: day, By: []string{store.ByDay}})
	if err != nil {
		return err
	}
	cm, err := st.CountmeStats(ctx, store.StatsQuery{Since: week, By: []string{store.ByWeek, store.ByBucket}})
	if err != nil {
		return err
	}
	r.status.SetUsage(status.UsageFrom(reqs, cm, now))
	return nil
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/metalinkd/metalinkd/internal/crawler"
	"github.com/metalinkd/metalinkd/store"
)

// crawlRun records one crawl's results as they come and counts them for
// the summary.
type crawlRun struct {
	env      Env
	st       store.Store
	o        *crawlOptions
	started  time.Time
	tally    *crawler.Tally
	progress *crawlProgress
	dirs     map[string]*store.Directory // what the crawl checks, by path

	mu                      sync.Mutex
	out                     io.Writer
	mirrors, failedMirrors  int
	fresh, stale, failed    int
	written                 int
	disabled, recovered     []string
	totalMirrors, totalDirs int
}

func newCrawlRun(env Env, st store.Store, o *crawlOptions, mirrors int, dirs []store.Directory) *crawlRun {
	r := &crawlRun{env: env, st: st, o: o, started: time.Now(), tally: crawler.NewTally(dirs),
		totalMirrors: mirrors, totalDirs: len(dirs), out: env.Stdout}
	r.progress = newCrawlProgress(env, mirrors)
	r.dirs = make(map[string]*store.Directory, len(dirs))
	for i := range dirs {
		r.dirs[dirs[i].Path] = &dirs[i]
	}
	return r
}

// record is the crawl's sink.
func (r *crawlRun) record(ctx context.Context, res store.CrawlResult) error {
	var outcome store.CrawlOutcome
	var changes []string
	var err error
	if r.o.dryRun {
		changes, outcome, err = r.wouldChange(ctx, res)
	} else {
		outcome, err = r.st.RecordCrawl(ctx, res, r.o.policy)
	}
	if errors.Is(err, store.ErrNotFound) {
		// Deleted by an admin while it was crawled: nothing to record,
		// and no reason to stop the crawl of the others.
		r.progress.println(fmt.Sprintf("%s: deleted during the crawl; not recorded", res.Mirror))
		return nil
	}
	if err != nil {
		return err
	}
	r.tally.Add(res)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mirrors++
	if res.Failed() {
		r.failedMirrors++
	}
	var fresh, stale, failed int
	for _, o := range res.Observations {
		switch o.Status {
		case store.SeenOK:
			fresh++
		case store.SeenError:
			failed++
		default:
			stale++
		}
	}
	r.fresh, r.stale, r.failed = r.fresh+fresh, r.stale+stale, r.failed+failed
	r.written += outcome.Written
	if outcome.Disabled {
		r.disabled = append(r.disabled, res.Mirror)
	}
	if outcome.Recovered {
		r.recovered = append(r.recovered, res.Mirror)
	}
	line := fmt.Sprintf("%s: %d fresh, %d stale, %d failed; %s%s", res.Mirror, fresh, stale, failed, checksText(res.Checks), outcomeText(outcome))
	r.progress.mirrorDone(line)
	for _, c := range changes {
		r.progress.println(c)
	}
	return nil
}

func checksText(checks []store.ProtocolCheck) string {
	var parts []string
	for _, c := range checks {
		if c.OK {
			parts = append(parts, c.Protocol+" ok")
		} else {
			parts = append(parts, fmt.Sprintf("%s %s (%s)", c.Protocol, c.Reason, c.Detail))
		}
	}
	if len(parts) == 0 {
		return "no protocol checked"
	}
	return strings.Join(parts, ", ")
}

func outcomeText(o store.CrawlOutcome) string {
	switch {
	case o.Disabled:
		return "; DISABLED"
	case o.Recovered:
		return "; recovered"
	}
	return ""
}

// wouldChange applies the store's own rule (store.ApplyCrawl) to a
// result and the mirror's stored freshness and health, for --dry-run: the
// directories it would list, drop or move to another repomd, and whether
// the mirror would be disabled or recovered.
func (r *crawlRun) wouldChange(ctx context.Context, res store.CrawlResult) ([]string, store.CrawlOutcome, error) {
	fr, err := r.st.Freshness(ctx, res.Mirror, "")
	if err != nil {
		return nil, store.CrawlOutcome{}, err
	}
	hs, err := r.st.Health(ctx, res.Mirror)
	if err != nil {
		return nil, store.CrawlOutcome{}, err
	}
	state := store.CrawlState{Freshness: make(map[string]store.Freshness, len(fr)), Directories: r.dirs}
	for _, f := range fr {
		state.Freshness[f.Directory] = f
	}
	if len(hs) == 1 {
		state.Health = hs[0]
	}
	plan := store.ApplyCrawl(&state, &res, r.o.policy)
	var out []string
	for _, p := range plan.Put {
		if old, ok := state.Freshness[p.Directory]; ok {
			out = append(out, fmt.Sprintf("  %s %s: would move from %.12s to %.12s", res.Mirror, p.Directory, old.SHA256, p.SHA256))
		} else {
			out = append(out, fmt.Sprintf("  %s %s: would list (serves %.12s)", res.Mirror, p.Directory, p.SHA256))
		}
	}
	for _, d := range plan.Delete {
		out = append(out, fmt.Sprintf("  %s %s: would drop (%s)", res.Mirror, d, seenText(res.Observations, d)))
	}
	if plan.Outcome.Disabled {
		out = append(out, fmt.Sprintf("  %s: would be disabled (%s)", res.Mirror, plan.Health.Reason))
	}
	if plan.Outcome.Recovered {
		out = append(out, fmt.Sprintf("  %s: would recover", res.Mirror))
	}
	return out, plan.Outcome, nil
}

// seenText says what the crawl saw in a directory it would drop.
func seenText(obs []store.Observation, dir string) string {
	for _, o := range obs {
		if o.Directory == dir && o.Status == store.SeenMissing {
			return "does not have it"
		}
	}
	return "serves another repomd.xml"
}

func (r *crawlRun) printSummary() {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.out
	took := time.Since(r.started).Round(time.Millisecond)
	fmt.Fprintf(w, "crawled %d of %d mirrors (%d failed) in %s\n", r.mirrors, r.totalMirrors, r.failedMirrors, took)
	fmt.Fprintf(w, "directories: %d fresh, %d stale, %d failed (of %d per mirror)\n", r.fresh, r.stale, r.failed, r.totalDirs)
	if r.o.dryRun {
		fmt.Fprintf(w, "dry run: %d freshness rows would be written; nothing was\n", r.written)
		fmt.Fprintf(w, "would be disabled: %d%s\n", len(r.disabled), names(r.disabled))
		fmt.Fprintf(w, "would recover: %d%s\n", len(r.recovered), names(r.recovered))
		return
	}
	fmt.Fprintf(w, "freshness rows written: %d\n", r.written)
	fmt.Fprintf(w, "disabled: %d%s\n", len(r.disabled), names(r.disabled))
	fmt.Fprintf(w, "recovered: %d%s\n", len(r.recovered), names(r.recovered))
}

func names(n []string) string {
	if len(n) == 0 {
		return ""
	}
	return " (" + strings.Join(n, ", ") + ")"
}

// crawlProgress shows the crawl: a bar of mirrors on a terminal, a line
// per mirror otherwise.
type crawlProgress struct {
	out  io.Writer
	bars *mpb.Progress
	bar  *mpb.Bar
}

func newCrawlProgress(env Env, total int) *crawlProgress {
	p := &crawlProgress{out: env.Stdout}
	if env.TTY {
		p.bars = mpb.New(mpb.WithOutput(env.Stderr), mpb.WithRefreshRate(200*time.Millisecond), mpb.WithAutoRefresh())
		p.bar = p.bars.AddBar(int64(total),
			mpb.PrependDecorators(decor.Name("mirrors", decor.WCSyncSpaceR), decor.CountersNoUnit("%d / %d")),
			mpb.AppendDecorators(decor.Percentage(), decor.Name(" "), decor.Elapsed(decor.ET_STYLE_GO)))
	}
	return p
}

// mirrorDone counts a mirror: on a terminal the bar moves; else its line.
func (p *crawlProgress) mirrorDone(line string) {
	if p.bar != nil {
		p.bar.Increment()
		return
	}
	fmt.Fprintln(p.out, line)
}

func (p *crawlProgress) println(line string) { fmt.Fprintln(p.out, line) }

// done draws the bar a last time (stopped where an interrupted crawl
// left it) before the summary is printed.
func (p *crawlProgress) done() {
	if p.bars != nil {
		if !p.bar.Completed() {
			p.bar.Abort(false)
		}
		p.bars.Wait()
	}
}

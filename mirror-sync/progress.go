package mirrorsync

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// progress shows objects and bytes per region: on a terminal one bar per
// region, fitted to the terminal's width, with the rate and an estimate;
// otherwise a log line per region every interval. Bytes count as the
// uploader reads them, parts of a multipart upload included. A nil
// *progress shows nothing.
type progress struct {
	mu       sync.Mutex
	log      *slog.Logger
	bars     *mpb.Progress // nil: log lines
	out      io.Writer     // where records go once the bars are gone
	start    time.Time
	regions  map[string]*regionProgress
	stop     chan struct{}
	stopped  sync.WaitGroup
	finished bool
}

// regionProgress counts atomically: the bar's decorators read it while
// uploaders add to it.
type regionProgress struct {
	files, doneFiles atomic.Int64
	bytes, doneBytes atomic.Int64
	bar              *mpb.Bar
}

// newProgress draws bars on w when tty, else logs a line per region every
// interval through log.
func newProgress(w io.Writer, tty bool, log *slog.Logger, interval time.Duration) *progress {
	p := &progress{log: log, out: w, start: time.Now(), regions: map[string]*regionProgress{}, stop: make(chan struct{})}
	if tty {
		p.bars = mpb.New(mpb.WithOutput(w), mpb.WithRefreshRate(200*time.Millisecond))
		return p
	}
	p.stopped.Add(1)
	go p.tick(interval)
	return p
}

// newBarProgress draws on w at a fixed width, refreshed by refresh (tests).
func newBarProgress(w io.Writer, width int, refresh <-chan any) *progress {
	p := &progress{out: w, start: time.Now(), regions: map[string]*regionProgress{}, stop: make(chan struct{})}
	p.bars = mpb.New(mpb.WithOutput(w), mpb.WithWidth(width), mpb.WithManualRefresh(refresh))
	return p
}

// Write prints log records above the bars while they run, and to the
// terminal itself once they are gone, so that neither garbles the other.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	bars := p.bars != nil && !p.finished
	p.mu.Unlock()
	if bars {
		if n, err := p.bars.Write(b); err == nil {
			return n, nil
		}
	}
	return p.out.Write(b)
}

// plan adds work to a region's total.
func (p *progress) plan(region string, files int, bytes int64) {
	if p == nil {
		return
	}
	r := p.region(region)
	r.files.Add(int64(files))
	total := r.bytes.Add(bytes)
	if r.bar != nil {
		r.bar.SetTotal(total, false)
	}
}

// sent records n more bytes read by a region's uploader.
func (p *progress) sent(region string, n int64) {
	if p == nil || n <= 0 {
		return
	}
	r := p.region(region)
	r.doneBytes.Add(n)
	if r.bar != nil {
		r.bar.IncrInt64(n)
	}
}

// done records one uploaded file.
func (p *progress) done(region string) {
	if p == nil {
		return
	}
	p.region(region).doneFiles.Add(1)
}

// finish draws or logs the final state and stops.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.finished {
		p.mu.Unlock()
		return
	}
	p.finished = true
	close(p.stop)
	if p.bars == nil {
		p.mu.Unlock()
		p.stopped.Wait()
		p.logLines()
		return
	}
	regions := slices.Collect(maps.Values(p.regions))
	p.mu.Unlock()
	for _, r := range regions {
		if r.doneBytes.Load() >= r.bytes.Load() && r.doneFiles.Load() >= r.files.Load() {
			r.bar.SetTotal(-1, true)
		} else {
			// A stopped region's bar stays where it got to.
			r.bar.Abort(false)
		}
	}
	p.bars.Wait()
}

func (p *progress) region(name string) *regionProgress {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.regions[name]
	if ok {
		return r
	}
	r = &regionProgress{}
	p.regions[name] = r
	if p.bars != nil {
		// Total 0: the bar completes only when finish says so, since
		// each directory adds to the total as the run goes.
		r.bar = p.bars.AddBar(0,
			mpb.PrependDecorators(decor.Name(name, decor.WCSyncSpaceR)),
			mpb.AppendDecorators(
				decor.Any(func(decor.Statistics) string { return r.counts() }, decor.WCSyncSpace),
				decor.Any(func(decor.Statistics) string { return r.rate(time.Since(p.start)) }, decor.WCSyncSpace),
			),
		)
	}
	return r
}

// counts renders a region's objects and bytes, done of planned.
func (r *regionProgress) counts() string {
	return fmt.Sprintf("%d/%d obj %s/%s", r.doneFiles.Load(), r.files.Load(), humanBytes(r.doneBytes.Load()), humanBytes(r.bytes.Load()))
}

// rate renders the average rate over elapsed and the time left at it.
func (r *regionProgress) rate(elapsed time.Duration) string {
	bps, eta := r.speed(elapsed)
	if eta < 0 {
		return humanBytes(int64(bps)) + "/s"
	}
	return humanBytes(int64(bps)) + "/s ETA " + eta.String()
}

// speed returns the bytes per second over elapsed and the time left at
// that rate (-1 when unknown or nothing is left).
func (r *regionProgress) speed(elapsed time.Duration) (float64, time.Duration) {
	done, total := r.doneBytes.Load(), r.bytes.Load()
	bps := float64(done) / max(elapsed.Seconds(), 0.001)
	if left := total - done; left > 0 && bps > 0 {
		return bps, time.Duration(float64(left) / bps * float64(time.Second)).Round(time.Second)
	}
	return bps, -1
}

func (p *progress) tick(interval time.Duration) {
	defer p.stopped.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.logLines()
		}
	}
}

// logLines logs one line per region with the rate since the start and
// the time left at that rate.
func (p *progress) logLines() {
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := time.Since(p.start)
	for _, name := range slices.Sorted(maps.Keys(p.regions)) {
		r := p.regions[name]
		bps, eta := r.speed(elapsed)
		attrs := []any{"region", name, "objects_done", r.doneFiles.Load(), "objects", r.files.Load(),
			"bytes_done", r.doneBytes.Load(), "bytes", r.bytes.Load(), "rate", humanBytes(int64(bps)) + "/s"}
		if eta >= 0 {
			attrs = append(attrs, "eta", eta.String())
		}
		p.log.Info("progress", attrs...)
	}
}

// countingBody counts the bytes an uploader reads from an upload's body
// into the progress, each byte once however often the SDK rewinds (to sign
// or retry).
type countingBody struct {
	body
	mu   sync.Mutex
	pos  int64
	high int64
	add  func(int64)
}

func (c *countingBody) Read(b []byte) (int, error) {
	n, err := c.body.Read(b)
	c.mu.Lock()
	c.advance(c.pos, n)
	c.pos += int64(n)
	c.mu.Unlock()
	return n, err
}

func (c *countingBody) ReadAt(b []byte, off int64) (int, error) {
	n, err := c.body.ReadAt(b, off)
	c.mu.Lock()
	c.advance(off, n)
	c.mu.Unlock()
	return n, err
}

func (c *countingBody) Seek(off int64, whence int) (int64, error) {
	n, err := c.body.Seek(off, whence)
	if err == nil {
		c.mu.Lock()
		c.pos = n
		c.mu.Unlock()
	}
	return n, err
}

// advance counts what lies past the high-water mark of [off, off+n).
func (c *countingBody) advance(off int64, n int) {
	if end := off + int64(n); end > c.high {
		c.add(end - max(off, c.high))
		c.high = end
	}
}

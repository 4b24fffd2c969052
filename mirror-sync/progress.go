package mirrorsync

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// progress shows bytes and files per region: a redrawn bar on a terminal,
// a log line at most every interval otherwise. A nil *progress shows nothing.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	log      *slog.Logger
	interval time.Duration
	last     time.Time
	regions  map[string]*regionProgress
}

type regionProgress struct {
	files, doneFiles int
	bytes, doneBytes int64
}

// newProgress shows progress on w when it is a terminal, else through log.
func newProgress(w io.Writer, tty bool, log *slog.Logger) *progress {
	interval := 10 * time.Second
	if tty {
		interval = 200 * time.Millisecond
	}
	return &progress{w: w, tty: tty, log: log, interval: interval, regions: map[string]*regionProgress{}}
}

// plan adds work to a region's total.
func (p *progress) plan(region string, files int, bytes int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.region(region)
	r.files += files
	r.bytes += bytes
}

// add records one uploaded file.
func (p *progress) add(region string, bytes int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.region(region)
	r.doneFiles++
	r.doneBytes += bytes
	if time.Since(p.last) >= p.interval {
		p.last = time.Now()
		p.show()
	}
}

// finish draws the final state and ends the terminal line.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.regions) == 0 {
		return
	}
	p.show()
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) region(name string) *regionProgress {
	r, ok := p.regions[name]
	if !ok {
		r = &regionProgress{}
		p.regions[name] = r
	}
	return r
}

func (p *progress) show() {
	names := make([]string, 0, len(p.regions))
	for n := range p.regions {
		names = append(names, n)
	}
	slices.Sort(names)
	if !p.tty {
		for _, n := range names {
			r := p.regions[n]
			p.log.Info("progress", "region", n, "files_done", r.doneFiles, "files", r.files, "bytes_done", r.doneBytes, "bytes", r.bytes)
		}
		return
	}
	var b strings.Builder
	for _, n := range names {
		r := p.regions[n]
		fmt.Fprintf(&b, "%s %s %d/%d files %s/%s  ", n, bar(r.doneBytes, r.bytes, 20), r.doneFiles, r.files, humanBytes(r.doneBytes), humanBytes(r.bytes))
	}
	fmt.Fprintf(p.w, "\r%s\x1b[K", b.String())
}

// bar renders done/total as a bar of width cells.
func bar(done, total int64, width int) string {
	filled := width
	if total > 0 {
		filled = int(min(done, total) * int64(width) / total)
	}
	return "[" + strings.Repeat("#", filled) + strings.Repeat("-", width-filled) + "]"
}

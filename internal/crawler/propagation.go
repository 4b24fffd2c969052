package crawler

import (
	"sync"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// Tally counts, per directory, the mirrors that serve its current
// repomd, an alternate, something else (or nothing), or that could not be
// checked. It keeps counts only, so a crawl of any size costs one point
// per directory. It is safe for concurrent use.
type Tally struct {
	mu     sync.Mutex
	idx    map[string]int
	points []store.PropagationPoint
}

// NewTally returns a tally of dirs.
func NewTally(dirs []store.Directory) *Tally {
	t := &Tally{idx: make(map[string]int, len(dirs)), points: make([]store.PropagationPoint, len(dirs))}
	for i := range dirs {
		t.idx[dirs[i].Path] = i
		t.points[i] = store.PropagationPoint{Directory: dirs[i].Path, SHA256: dirs[i].Current.SHA256}
	}
	return t
}

// Add counts one mirror's result.
func (t *Tally) Add(r store.CrawlResult) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, o := range r.Observations {
		i, ok := t.idx[o.Directory]
		if !ok {
			continue
		}
		p := &t.points[i]
		switch {
		case o.Status == store.SeenError:
			p.Failed++
		case o.Status == store.SeenOK && o.SHA256 == p.SHA256:
			p.Current++
		case o.Status == store.SeenOK:
			p.Older++
		default:
			p.Other++
		}
	}
}

// Points returns the counts, stamped at.
func (t *Tally) Points(at time.Time) []store.PropagationPoint {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]store.PropagationPoint, len(t.points))
	for i, p := range t.points {
		p.At = at
		out[i] = p
	}
	return out
}

// Propagation counts results as a Tally does.
func Propagation(dirs []store.Directory, results []store.CrawlResult, at time.Time) []store.PropagationPoint {
	t := NewTally(dirs)
	for _, r := range results {
		t.Add(r)
	}
	return t.Points(at)
}

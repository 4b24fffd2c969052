package crawler

import (
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// Propagation counts, per directory, the mirrors of results that serve
// its current repomd, an alternate, something else (or nothing), or that
// could not be checked.
func Propagation(dirs []store.Directory, results []store.CrawlResult, at time.Time) []store.PropagationPoint {
	idx := make(map[string]int, len(dirs))
	points := make([]store.PropagationPoint, len(dirs))
	for i := range dirs {
		idx[dirs[i].Path] = i
		points[i] = store.PropagationPoint{Directory: dirs[i].Path, At: at, SHA256: dirs[i].Current.SHA256}
	}
	for _, r := range results {
		for _, o := range r.Observations {
			i, ok := idx[o.Directory]
			if !ok {
				continue
			}
			p := &points[i]
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
	return points
}

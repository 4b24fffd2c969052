package server

import (
	"context"

	"github.com/metalinkd/metalinkd/server/status"
	"github.com/metalinkd/metalinkd/store"
)

// propagation reads the crawls' propagation points of d's latest compose
// for the status page (status.LatestCompose), or nil when there are none or
// the store cannot say: the page then shows what reports say. Points are
// not signalled as changes, so the chart is as fresh as the snapshot.
func (r *Reloader) propagation(ctx context.Context, d *store.Dataset) []store.PropagationPoint {
	dir, since := status.LatestCompose(d)
	if dir == "" {
		return nil
	}
	points, err := r.st.Propagation(ctx, dir, since)
	if err != nil {
		r.log.Warn("status page: reading the propagation points", "directory", dir, "err", err)
		return nil
	}
	return points
}

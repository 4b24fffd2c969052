package metalink

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Every mirror listed after the 99th has the lowest preference, 1, so a
// directory's answer past that point is each listed mirror's URLs rendered
// exactly alike from answer to answer: only their order changes. A
// directory whose answers list that many mirrors (a client of no known
// country is given every mirror of the network) keeps, per format, each
// carrier's URLs rendered whole at the floor, so that the answer copies
// one block per mirror rather than two pieces per URL. The blocks are made
// by the first answer that needs them, and only while the blocks alive in
// the process stay within FloorBlockBudget bytes.

// FloorBlockBudget bounds the bytes of floor blocks alive at once: about a
// hundred directories each carried by a thousand mirrors.
const FloorBlockBudget = 32 << 20

// floorMin is how many mirrors an answer must list past the 99th for
// the blocks to be worth making.
const floorMin = 32

// floorBytes counts the bytes of the floor blocks alive.
var floorBytes atomic.Int64

// floorBlocks are a directory's carriers' URLs, for one format, rendered
// at the floor preference, laid out by mirror id.
type floorBlocks struct {
	data []byte
	// off[id] to off[id+1] is where mirror id's block lies in data.
	off []uint32
	// src[id] is the first of the pieces mirror id's block was rendered
	// from, nil when it has none: the block is the mirror's only while its
	// pieces are these, as a patch renders a changed mirror's afresh.
	src []*urlPiece
}

// floorCache builds a view's floorBlocks for one format once.
type floorCache struct {
	once   sync.Once
	blocks *floorBlocks
}

// forAnswer returns the blocks of v's carriers, from the pieces of the
// format's, for an answer listing sel with protocol= protos, building them
// on first use; nil when the answer lists too few mirrors to use them
// (or filters their URLs), or when the budget is spent.
func (c *floorCache) forAnswer(v *dirView, pieces func() [][]urlPiece, sel []mirrorID, protos []string) *floorBlocks {
	if protos != nil || len(sel) < 99+floorMin {
		return nil
	}
	c.once.Do(func() { c.blocks = buildFloorBlocks(v, pieces(), v.urlTail) })
	return c.blocks
}

// buildFloorBlocks renders the blocks, or returns nil when they would
// take the bytes alive past FloorBlockBudget.
func buildFloorBlocks(v *dirView, pieces [][]urlPiece, tail string) *floorBlocks {
	size := 0
	for id := range pieces {
		if v.Carries(mirrorID(id)) {
			for i := range pieces[id] {
				size += len(pieces[id][i].floor) + len(tail)
			}
		}
	}
	if size > 1<<31 || floorBytes.Add(int64(size)) > FloorBlockBudget {
		floorBytes.Add(-int64(size))
		return nil
	}
	b := &floorBlocks{data: make([]byte, 0, size), off: make([]uint32, len(pieces)+1), src: make([]*urlPiece, len(pieces))}
	for id, ps := range pieces {
		b.off[id] = uint32(len(b.data))
		if len(ps) == 0 || !v.Carries(mirrorID(id)) {
			continue
		}
		b.src[id] = &ps[0]
		for i := range ps {
			b.data = append(b.data, ps[i].floor...)
			b.data = append(b.data, tail...)
		}
	}
	b.off[len(pieces)] = uint32(len(b.data))
	runtime.AddCleanup(b, func(n int64) { floorBytes.Add(-n) }, int64(size))
	return b
}

// block returns mirror id's block when it is rendered from ps, the
// mirror's pieces now.
func (b *floorBlocks) block(id mirrorID, ps []urlPiece) ([]byte, bool) {
	if b == nil || int(id) >= len(b.src) || len(ps) == 0 || b.src[id] != &ps[0] {
		return nil, false
	}
	return b.data[b.off[id]:b.off[id+1]], true
}

package metalink

import (
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// bigNetwork is a patch test network with 200 more mirrors, public and
// carrying every directory, so that a client of no known country is given
// well over a hundred of them and the answers use floor blocks.
func bigNetwork(seed uint64) *network {
	n := newNetwork(seed)
	for len(n.d.Mirrors) < 230 {
		name := n.newName()
		if slices.ContainsFunc(n.d.Mirrors, func(m store.Mirror) bool { return m.Name == name }) {
			continue
		}
		m := n.randomMirror(name)
		m.Enabled, m.Private, m.AlwaysUpToDate = true, false, true
		m.CountriesAllowed, m.IPv4, m.IPv6, m.Locations, m.Region, m.Bucket = nil, nil, nil, nil, "", ""
		n.d.Mirrors = append(n.d.Mirrors, m)
	}
	n.sortMirrors()
	n.mirrors, n.pairs = map[string]bool{}, map[[2]string]bool{}
	return n
}

// A directory's floor blocks outlive the patches that keep its view, and
// a mirror a patch changed must not be answered from its old block: after
// edits of mirrors' URLs (which leave every directory's lists alone),
// country and bandwidth, and mirrors created and deleted, the patched
// snapshot still answers as a rebuild does.
func TestFloorBlocksFollowPatches(t *testing.T) {
	n := bigNetwork(99)
	patched := NewSnapshot(n.d.Clone(), testNow)
	stale := 0
	for step := range 12 {
		// The answers build the blocks of the views this patch keeps.
		compareAnswers(t, patched, patched, 99, step)
		for range 4 {
			m := n.anyMirror()
			n.mirrors[m.Name] = true
			switch fresh := n.randomMirror(m.Name); step % 3 {
			case 0:
				m.URLs = fresh.URLs
			case 1:
				m.Country, m.Bandwidth = fresh.Country, fresh.Bandwidth
			default:
				n.editMirror()
			}
		}
		if step%4 == 3 {
			n.deleteMirror()
			n.createMirror()
		}
		patched = patched.Patch(n.changeSet(), testNow)
		stale += staleBlocks(patched)
		compareAnswers(t, NewSnapshot(n.d.Clone(), testNow), patched, 99, step)
	}
	if stale == 0 {
		t.Fatal("no patch left a block that no longer matches its mirror: the test checks nothing")
	}
	q := ParseQuery("repo=repo-00&arch=x86_64")
	body := string(Answer(nil, patched, &q, true, Client{}, Options{Now: testNow, Minimum: DefaultMinimum, Rand: seeded()}).Body)
	if got := strings.Count(body, `preference="1"`); got < floorMin {
		t.Fatalf("%d URLs at preference 1, want at least %d:\n%s", got, floorMin, body)
	}
}

// staleBlocks counts the mirrors of built floor blocks in s whose pieces
// have changed since.
func staleBlocks(s *Snapshot) int {
	n := 0
	pieces := s.urlPieces()
	s.eachDir(func(_ string, v *dirView) {
		b := v.floor3.blocks
		if b == nil {
			return
		}
		for id := range min(len(b.src), len(pieces)) {
			if b.src[id] != nil && len(pieces[id]) > 0 {
				if _, ok := b.block(mirrorID(id), pieces[id]); !ok {
					n++
				}
			}
		}
	})
	return n
}

// The blocks alive stay within the budget: past it a directory answers
// without them, alike, and the bytes are given back when the blocks go.
func TestFloorBlockBudget(t *testing.T) {
	n := bigNetwork(5)
	q := ParseQuery("repo=repo-02&arch=x86_64")
	answer := func(s *Snapshot) string {
		return string(Answer(nil, s, &q, true, Client{}, Options{Now: testNow, Minimum: DefaultMinimum, Rand: seeded()}).Body)
	}
	// Blocks of earlier tests are given back as the collector finds them.
	waitFloorBytes(t, 0)
	withBlocks := NewSnapshot(n.d.Clone(), testNow)
	want := answer(withBlocks)
	if withBlocks.dir("pub/d02/os").floor3.blocks == nil {
		t.Fatal("no blocks were built")
	}
	if built, size := floorBytes.Load(), cap(withBlocks.dir("pub/d02/os").floor3.blocks.data); built != int64(size) {
		t.Fatalf("the blocks built count %d bytes, hold %d", built, size)
	}

	floorBytes.Add(FloorBlockBudget)
	spent := NewSnapshot(n.d.Clone(), testNow)
	got := answer(spent)
	floorBytes.Add(-FloorBlockBudget)
	if spent.dir("pub/d02/os").floor3.blocks != nil {
		t.Error("blocks were built past the budget")
	}
	if got != want {
		t.Errorf("the answer without blocks differs:\n%s\nwant\n%s", got, want)
	}

	runtime.KeepAlive(withBlocks)
	withBlocks = nil
	waitFloorBytes(t, 0)
}

// waitFloorBytes waits until the bytes of floor blocks alive are want,
// collecting garbage, for up to five seconds.
func waitFloorBytes(t *testing.T, want int64) {
	t.Helper()
	for range 500 {
		runtime.GC()
		if floorBytes.Load() == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%d bytes of floor blocks counted, want %d", floorBytes.Load(), want)
}

package metalink

import (
	"hash/maphash"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
)

// Answer reuse. Most requests are alike: the same repository, from a
// client whose address no netblock, ASN, location or cloud range singles
// out. Their answer depends then only on the directory, the client's
// country and address family, and the second (the pubdate): drawing and
// rendering it afresh for each of them is most of an answer's cost when
// the directory has hundreds of mirrors. With Options.Reuse above one, the
// answer drawn for one such client is given, byte for byte, to up to
// Options.Reuse clients of the same kind within the same second, and then
// drawn again. Each client still gets an order drawn by the weighted
// shuffle, independent of it, so every mirror's expected share of clients
// is what it would be with a draw per client; only clients a few
// milliseconds apart may get the same order. Answers that anything else
// shapes (country=, protocol=, netblock=0, a matching netblock, ASN,
// location or cloud range, a file's metalink, a mirrorlist) are drawn
// for the client alone.

// ReuseBudget bounds the bytes of reusable answers alive at once: a
// thousand-mirror answer is about 350 KB.
var ReuseBudget int64 = 32 << 20

// reuseBytes counts the bytes of the reusable answers alive.
var reuseBytes atomic.Int64

// reuseSlots is the number of reusable answers a snapshot keeps: one per
// slot, a slot chosen by hashing the answer's key.
const reuseSlots = 512

// reuseKey is what a reusable answer was drawn for.
type reuseKey struct {
	dir            *dirView
	country        string
	family         byte
	meta4          bool
	minimum, maxBW int
}

// reuseEntry is an answer that clients with its key may be given within
// its second, uses times at most.
type reuseEntry struct {
	key   reuseKey
	sec   int64
	uses  atomic.Int32
	first Step
	body  []byte
	// length is len(body) as a Content-Length header value.
	length []string
}

// reuseTable holds a snapshot's reusable answers; it is made by the first
// answer that may be reused.
type reuseTable struct {
	slots [reuseSlots]atomic.Pointer[reuseEntry]
	// swept is the second of the last sweep of stale answers.
	swept atomic.Int64
}

var reuseSeed = maphash.MakeSeed()

func (k *reuseKey) slot() int {
	h := maphash.String(reuseSeed, k.dir.Path)
	for i := 0; i < len(k.country); i++ {
		h = (h ^ uint64(k.country[i])) * 0x100000001b3
	}
	h ^= uint64(k.family)<<1 | uint64(k.minimum)<<3 | uint64(k.maxBW)<<13
	if k.meta4 {
		h ^= 1
	}
	h *= 0x9e3779b97f4a7c15
	return int(h >> (64 - 9))
}

// reuseTable returns the snapshot's reusable answers, making the table on
// first use.
func (s *Snapshot) reuseTable() *reuseTable {
	if t := s.reuse.Load(); t != nil {
		return t
	}
	s.reuse.CompareAndSwap(nil, new(reuseTable))
	return s.reuse.Load()
}

// get returns the answer for k drawn within second sec, when it has served
// fewer than limit clients; the caller is counted as one more.
func (t *reuseTable) get(k *reuseKey, sec int64, limit int) *reuseEntry {
	e := t.slots[k.slot()].Load()
	if e == nil || e.sec != sec || e.key != *k || int(e.uses.Add(1)) > limit {
		return nil
	}
	return e
}

// put keeps a copy of body as the answer for k drawn in second sec, which
// has served one client, unless that would take the reusable answers
// alive past ReuseBudget; it then clears, at most once a second, the
// answers of past seconds, so that the collector can take them back.
func (t *reuseTable) put(k *reuseKey, sec int64, first Step, body []byte) {
	n := int64(len(body))
	if reuseBytes.Add(n) > ReuseBudget {
		reuseBytes.Add(-n)
		if last := t.swept.Load(); last != sec && t.swept.CompareAndSwap(last, sec) {
			for i := range t.slots {
				if e := t.slots[i].Load(); e != nil && e.sec != sec {
					t.slots[i].CompareAndSwap(e, nil)
				}
			}
		}
		return
	}
	e := &reuseEntry{key: *k, sec: sec, first: first, body: slices.Clone(body), length: []string{strconv.Itoa(len(body))}}
	e.uses.Store(1)
	runtime.AddCleanup(e, func(n int64) { reuseBytes.Add(-n) }, n)
	t.slots[k.slot()].Store(e)
}

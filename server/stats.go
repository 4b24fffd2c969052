package server

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/metalinkd/metalinkd/metalink"
	"github.com/metalinkd/metalinkd/store"
)

// Stats counts answered requests per UTC day and dnf's countme hits per
// countme week in memory, until Flush adds them to the store. The request
// path resolves every label to a small number (repositories, arches and
// locations the snapshots named, countries by their two letters) and adds
// one to a map entry of a shard picked at random, under that shard's lock:
// nothing is allocated per request once a day's labels were seen. Values
// the snapshots never named collapse to one label, so a client cannot
// grow the tables. A nil *Stats counts nothing.
type Stats struct {
	labels atomic.Pointer[statsLabels]
	// mu orders label updates (reloads); readers only Load.
	mu     sync.Mutex
	shards [statsShards]statsShard

	// countmeHits counts countme hits by bucket, for the metrics.
	countmeHits [5]atomic.Uint64
	// The flushes: done, failed, and rows written.
	flushes, flushFailures, rowsWritten atomic.Uint64
}

// statsShards spreads the request path's locks; a power of two.
const statsShards = 16

type statsShard struct {
	mu      sync.Mutex
	reqs    map[requestKey]int64
	countme map[countmeKey]int64
	// pad keeps shards on cache lines of their own.
	_ [40]byte
}

// requestKey is one request's labels: the day (days since the Unix epoch)
// and interned ids.
type requestKey struct {
	day             int32
	repo, arch, loc uint16
	country         uint16
	step            metalink.Step
}

// countmeKey is one countme hit's labels: the week (countme weeks since
// store.CountmeEpoch), interned repository and arch, and the bucket.
type countmeKey struct {
	week       int32
	repo, arch uint16
	bucket     uint8
}

// Label ids every table starts with: none given, and any value the
// snapshots never named.
const (
	labelNone  = 0
	labelOther = 1
)

// otherLabel is the stored label of values the snapshots never named.
const otherLabel = "other"

// maxLabels bounds each label table; beyond it, new names count as other.
const maxLabels = 1 << 15

// labelTable interns names. It only grows, so an id keeps its name for
// the life of the process, and counts taken before a reload flush under
// the right names after it.
type labelTable struct {
	ids   map[string]uint16
	names []string
}

func newLabelTable() *labelTable {
	return &labelTable{ids: map[string]uint16{}, names: []string{"", otherLabel}}
}

// id returns the id of name: labelNone for "", labelOther for a name not
// in the table.
func (t *labelTable) id(name string) uint16 {
	if name == "" {
		return labelNone
	}
	if id, ok := t.ids[name]; ok {
		return id
	}
	return labelOther
}

// with returns t with names added, or t itself when it has them all.
func (t *labelTable) with(names []string) *labelTable {
	var n *labelTable
	for _, name := range names {
		if name == "" || name == otherLabel || len(name) > 128 {
			continue
		}
		if _, ok := t.ids[name]; ok {
			continue
		}
		if n == nil {
			n = &labelTable{ids: make(map[string]uint16, len(t.ids)+len(names)), names: append([]string(nil), t.names...)}
			for k, v := range t.ids {
				n.ids[k] = v
			}
		}
		if _, ok := n.ids[name]; ok || len(n.names) >= maxLabels {
			continue
		}
		n.ids[name] = uint16(len(n.names))
		n.names = append(n.names, name)
	}
	if n == nil {
		return t
	}
	return n
}

// statsLabels are the label tables of the names snapshots have had.
type statsLabels struct {
	repos, arches, locations *labelTable
}

// NewStats returns an empty aggregation.
func NewStats() *Stats {
	s := &Stats{}
	for i := range s.shards {
		s.shards[i].reqs = map[requestKey]int64{}
		s.shards[i].countme = map[countmeKey]int64{}
	}
	s.labels.Store(&statsLabels{repos: newLabelTable(), arches: newLabelTable(), locations: newLabelTable()})
	return s
}

// loaded adds the repositories (and the names redirected to them),
// arches and locations of a dataset now being served to the labels.
func (s *Stats) loaded(d *store.Dataset) {
	if s == nil {
		return
	}
	var repos, arches, locs []string
	for _, r := range d.Repositories {
		repos, arches = append(repos, r.Prefix), append(arches, r.Arch)
	}
	for _, r := range d.Redirects {
		repos = append(repos, r.From)
	}
	for _, l := range d.Locations {
		locs = append(locs, l.Name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.labels.Load()
	s.labels.Store(&statsLabels{repos: old.repos.with(repos), arches: old.arches.with(arches), locations: old.locations.with(locs)})
}

// countryID maps a two-letter country code to 1..676, anything else to 0.
func countryID(c string) uint16 {
	if len(c) != 2 {
		return 0
	}
	a, b := c[0]&^0x20, c[1]&^0x20
	if a < 'A' || a > 'Z' || b < 'A' || b > 'Z' {
		return 0
	}
	return uint16(a-'A')*26 + uint16(b-'A') + 1
}

// countryName is the inverse of countryID; "--" for 0 (unknown).
func countryName(id uint16) string {
	if id == 0 || id > 26*26 {
		return "--"
	}
	id--
	return string([]byte{'A' + byte(id/26), 'A' + byte(id%26)})
}

// statsDay is t's day as days since the Unix epoch.
func statsDay(t time.Time) int32 { return int32(floorDiv(t.Unix(), 86400)) }

// statsWeek is t's countme week as weeks since store.CountmeEpoch.
func statsWeek(t time.Time) int32 {
	return int32(floorDiv(t.Unix()-store.CountmeEpoch, store.CountmeWindow))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// answer is what the request path tells Stats of one answer.
type answer struct {
	now               time.Time
	repo, arch        string
	country, location string
	step              metalink.Step
	// countme is the countme bucket (1..4) of a GET answered 200 or 302,
	// else 0.
	countme int
}

// count records one answer.
func (s *Stats) count(a *answer) {
	if s == nil {
		return
	}
	l := s.labels.Load()
	repo, arch := l.repos.id(a.repo), l.arches.id(a.arch)
	k := requestKey{day: statsDay(a.now), repo: repo, arch: arch, loc: l.locations.id(a.location),
		country: countryID(a.country), step: a.step}
	sh := &s.shards[rand.Uint32()&(statsShards-1)]
	sh.mu.Lock()
	sh.reqs[k]++
	if a.countme > 0 {
		sh.countme[countmeKey{week: statsWeek(a.now), repo: repo, arch: arch, bucket: uint8(a.countme)}]++
	}
	sh.mu.Unlock()
	if a.countme > 0 {
		s.countmeHits[a.countme].Add(1)
	}
}

// countmeBucket returns the bucket of a countme value dnf sends (1..4),
// or 0 for anything else: libdnf sends only those, and a bounded bucket
// keeps the table bounded.
func countmeBucket(v string) int {
	if len(v) == 1 && '1' <= v[0] && v[0] <= '4' {
		return int(v[0] - '0')
	}
	return 0
}

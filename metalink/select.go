package metalink

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/metalinkd/metalinkd/internal/location"
	"github.com/metalinkd/metalinkd/store"
)

// DefaultMinimum is the number of mirrors below which the global list is
// added, as in MirrorManager.
const DefaultMinimum = 5

// DefaultMaxBandwidth is the cap on a mirror's bandwidth (Mbit/s) in the
// selection weights, as Fedora's server has it: a mirror declaring
// 100 Gbit/s draws no more traffic than one declaring 10 Gbit/s.
const DefaultMaxBandwidth = 10000

// Rand is the randomness selection needs; *rand.Rand satisfies it, and
// tests pass a seeded one so that answers are reproducible.
type Rand interface {
	ExpFloat64() float64
	IntN(n int) int
}

// GlobalRand uses math/rand/v2's goroutine-safe generator.
type GlobalRand struct{}

// ExpFloat64 returns an exponentially distributed number with rate 1.
func (GlobalRand) ExpFloat64() float64 { return rand.ExpFloat64() }

// IntN returns a pseudo-random number in [0, n).
func (GlobalRand) IntN(n int) int { return rand.IntN(n) }

// Client is what is known about the requesting client.
type Client struct {
	// Addr is the client's real address (the peer, or what a trusted proxy
	// forwarded), invalid when unknown. Location verification, cloud-range
	// steering and the netblocks of private mirrors use it alone.
	Addr netip.Addr
	// Claimed is the address a request names in ip=, when the server
	// honours it, else invalid. It stands in for Addr only in the netblock
	// step of public mirrors; Country and ASN are then the claimed ones.
	Claimed netip.Addr
	Country string // upper-case ISO code from GeoIP, "" when unknown
	ASN     uint32 // 0 when unknown
}

// selector holds one request's working state; selectorPool lets requests
// reuse its buffers.
type selector struct {
	snap *Snapshot
	dir  *dirView
	rnd  Rand
	// local stands in for GlobalRand: a generator of the selector's own,
	// seeded from the global one, draws a number in about half the time,
	// which a thousand-mirror answer draws a thousand times.
	local  *rand.Rand
	protos []string
	seen   []uint64
	nb     []prefixValue[mirrorID]
	keys   []uint64
	sorter keySorter
	// out is the selection, in order.
	out []mirrorID
	// header is the mirrorlist comment describing the steps taken, after
	// the "# repo = R arch = A " or "# path = P " part.
	header  []byte
	counted int
	verify  bool
	// country is the client's country as selection sees it (after the
	// netblock overrides); family its address family, 4, 6 or 0 (unknown).
	country string
	family  byte
	// ruled is set when a host rule can matter to this selection (see
	// addRuled).
	ruled bool
	// famAll and famCounted count the listed mirrors of the client's family:
	// all of them, and those counted for protocol=.
	famAll, famCounted int
	// steps holds the step that listed each mirror of out; rest and
	// restSteps are scratch for the family order (see byFamily).
	steps     []Step
	rest      []mirrorID
	restSteps []Step
	// maxBW caps bandwidth in the weights.
	maxBW int
	// explain makes every add go through addRuled, which then records each
	// listed mirror's step (see Explain); it is false on the answer path.
	explain bool
	// step is the step running; first is the one that listed out[0].
	step, first Step
	// countries are the query's country= list and protoText its
	// protocol=, for finish; byAddress says begin ran the netblock and
	// ASN steps.
	countries []string
	protoText string
	byAddress bool
}

// A sort key packs a random key (a non-negative float64, whose bit pattern
// orders as the number does) in its high bits and a mirror's rank in its
// low bits (store.MaxMirrors is a power of two), so that a step sorts plain
// integers and breaks ties by name, whatever ids patches gave the mirrors.
const idMask = store.MaxMirrors - 1

func (s *selector) sortKey(key float64, id mirrorID) uint64 {
	return math.Float64bits(key)&^idMask | uint64(s.snap.mirrors[id].rank)
}

var selectorPool = sync.Pool{New: func() any { return new(selector) }}

// run orders the mirrors that carry dir's content for a client into s.out,
// reusing s's buffers, following the steps of DESIGN §4: location (or cloud
// range), netblocks, ASN, country, continent, then global when fewer than
// minimum were found.
func (s *selector) run(snap *Snapshot, dir *dirView, q *Query, c Client, o Options) {
	s.begin(snap, dir, q, c, o)
	s.finish(o.Minimum)
}

// begin runs the steps that depend on the client's address or on what the
// query asks for in particular: location (or cloud range), netblocks and
// ASN. When they list nothing and the query names no country or protocol
// (see addressFree), what finish adds depends on the client's country and
// address family alone.
func (s *selector) begin(snap *Snapshot, dir *dirView, q *Query, c Client, o Options) {
	s.snap, s.dir, s.rnd, s.counted, s.protos, s.verify = snap, dir, o.Rand, 0, nil, o.VerifyLocation
	if _, global := o.Rand.(GlobalRand); global || o.Rand == nil {
		if s.local == nil {
			s.local = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
		}
		s.rnd = s.local
	}
	s.maxBW = o.MaxBandwidth
	if s.maxBW <= 0 {
		s.maxBW = DefaultMaxBandwidth
	}
	s.out, s.header, s.keys, s.nb = s.out[:0], s.header[:0], s.keys[:0], s.nb[:0]
	s.steps, s.famAll, s.famCounted = s.steps[:0], 0, 0
	geoAddr := c.Addr
	if c.Claimed.IsValid() {
		geoAddr = c.Claimed
	}
	s.country = snap.clientCountry(geoAddr, c.Country)
	s.family = addressFamily(snap, q, geoAddr)
	s.ruled = snap.restricted || s.family != 0 || s.explain
	s.step, s.first = StepNone, StepNone
	s.seen = slices.Grow(s.seen[:0], (len(snap.mirrors)+63)/64)[:(len(snap.mirrors)+63)/64]
	clear(s.seen)
	if q.HasProtocol {
		s.protos = splitList(q.Protocol, false)
	}
	s.location(q.Location, c.Addr)
	s.countries = splitList(q.Country, true)
	s.byAddress = len(s.countries) == 0 && (!q.HasNetblock || q.Netblock == "1")
	if s.byAddress {
		s.netblocks(c.Addr, c.Claimed)
		s.asn(c.ASN)
	}
	s.protoText = q.Protocol
}

// addressFree reports whether, after begin, the selection depends on the
// client through its country and address family alone: every step that
// looks at its address ran and listed nothing, and the query named no
// country and no protocol.
func (s *selector) addressFree() bool {
	return s.byAddress && len(s.out) == 0 && len(s.header) == 0 && s.protos == nil
}

// finish runs the steps that follow begin's: the requested countries, or
// the client's country, continent and, when fewer than minimum were found,
// global.
func (s *selector) finish(minimum int) {
	onlyCountry := false
	if len(s.countries) > 0 {
		onlyCountry = s.requestedCountries(s.countries)
	}
	if !onlyCountry {
		if s.country != "" {
			s.step = StepCountry
			s.weighted(s.dir.ByCountry[s.country], "country = ", s.country)
		}
		s.continent(s.country)
		if s.found() < minimum {
			s.step = StepGlobal
			s.weighted(s.dir.Global, "country = global ", "")
		}
	}
	if s.family != 0 {
		s.byFamily(minimum)
	}
	if s.protos != nil {
		s.header = append(s.header, "protocol = "...)
		s.header = append(s.header, s.protoText...)
	}
}

// found is the number of mirrors that count towards the minimum: those with
// a URL of a protocol= asked for or, when none has one (the filter is then
// dropped), every one listed; of those, only the ones reachable over the
// client's address family when it is known.
func (s *selector) found() int {
	switch {
	case s.family != 0 && s.counted == 0:
		return s.famAll
	case s.family != 0:
		return s.famCounted
	case s.counted == 0:
		return len(s.out)
	}
	return s.counted
}

// location lists the mirrors of the guest's location (matched without
// regard to case), or, when it sent none, of the cloud region its address
// belongs to. With verification on,
// a location is honoured only from an address in that location's own cloud
// ranges; otherwise the address's region (if any) is used instead.
func (s *selector) location(loc string, addr netip.Addr) {
	// A vars file written by hand may say US-EAST-1; names are lower case.
	loc = strings.ToLower(loc)
	cloud := s.snap.cloudLocation(addr)
	claimed := location.Valid(loc)
	if claimed && s.snap.knownLocation(loc) && (!s.verify || cloud == loc) {
		s.step = StepLocation
		s.weighted(s.dir.ByLocation[loc], "location = ", loc)
		return
	}
	if claimed && !s.verify {
		return // a real but unknown location: the ordinary list
	}
	if cloud != "" {
		s.step = StepCloud
		s.weighted(s.dir.ByLocation[cloud], "Using cloud region ", cloud)
	}
}

// netblocks lists mirrors whose netblocks contain the client, longest prefix
// first, in random order among prefixes of the same length. A claimed
// address selects public mirrors only: a private mirror's netblock must
// hold the real address.
func (s *selector) netblocks(addr, claimed netip.Addr) {
	s.step = StepNetblock
	s.nb = s.snap.netblocksOf(s.nb[:0], addr)
	if claimed.IsValid() && claimed != addr {
		s.nb = slices.DeleteFunc(s.nb, func(e prefixValue[mirrorID]) bool { return !s.snap.mirrors[e.Value].Hidden })
		n := len(s.nb)
		s.nb = s.snap.netblocksOf(s.nb, claimed)
		s.nb = append(s.nb[:n], slices.DeleteFunc(s.nb[n:], func(e prefixValue[mirrorID]) bool { return s.snap.mirrors[e.Value].Hidden })...)
		slices.SortStableFunc(s.nb, func(a, b prefixValue[mirrorID]) int { return b.Prefix.Bits() - a.Prefix.Bits() })
	}
	found := false
	for i := 0; i < len(s.nb); {
		j := i
		for j < len(s.nb) && s.nb[j].Prefix.Bits() == s.nb[i].Prefix.Bits() {
			j++
		}
		group := s.nb[i:j]
		for k := len(group) - 1; k > 0; k-- {
			r := s.rnd.IntN(k + 1)
			group[k], group[r] = group[r], group[k]
		}
		for _, e := range group {
			found = s.add(e.Value) || found
		}
		i = j
	}
	if found {
		s.header = append(s.header, "Using preferred netblock "...)
	}
}

func (s *selector) asn(asn uint32) {
	if asn == 0 {
		return
	}
	s.step = StepASN
	ids := s.snap.byASN(asn)
	start := len(s.keys)
	for _, id := range ids {
		s.keys = append(s.keys, s.sortKey(float64(s.rnd.IntN(math.MaxInt32)), id))
	}
	if s.flush(start) {
		s.header = append(s.header, "Using ASN "...)
		s.header = strconv.AppendUint(s.header, uint64(asn), 10)
		s.header = append(s.header, ' ')
	}
}

// requestedCountries handles country=: those countries (or the global list),
// else their continents, each as one weighted shuffle over all of them, as
// Fedora's server draws it; the header names them in sorted order, as there.
// It reports whether anything was found, in which case the client asked for
// that list alone.
func (s *selector) requestedCountries(countries []string) bool {
	slices.Sort(countries)
	before := len(s.out)
	start := len(s.keys)
	// One draw covers every requested country: it counts as the country
	// step unless the global list alone was asked for.
	s.step = StepCountry
	if len(countries) == 1 && countries[0] == "GLOBAL" {
		s.step = StepGlobal
	}
	for _, c := range countries {
		ids, label, name := s.dir.ByCountry[c], "country = ", c
		if c == "GLOBAL" {
			ids, label, name = s.dir.Global, "country = global ", ""
		}
		s.addKeys(ids, label, name)
	}
	s.flush(start)
	if len(s.out) == before {
		s.step = StepContinent
		for _, c := range countries {
			s.continentKeys(s.snap.continent(c), c)
		}
		s.flush(start)
	}
	return len(s.out) > before
}

// continent lists the mirrors of the other countries of the client's continent.
func (s *selector) continent(country string) {
	if country == "" {
		return
	}
	s.step = StepContinent
	start := len(s.keys)
	s.continentKeys(s.snap.continent(country), country)
	s.flush(start)
}

// continentKeys adds the weighted keys of the mirrors of cont outside
// country except, and their countries to the header.
func (s *selector) continentKeys(cont, except string) {
	if cont == "" {
		return
	}
	for _, id := range s.dir.ByContinent[cont] {
		if s.snap.mirrors[id].Country != except {
			s.keys = append(s.keys, s.sortKey(s.weightKey(id), id))
		}
	}
	for _, c := range s.dir.Countries[cont] {
		if c != except {
			s.header = append(s.header, "country = "...)
			s.header = append(s.header, c...)
			s.header = append(s.header, ' ')
		}
	}
}

// weighted appends ids in a bandwidth-weighted random order (a draw without
// replacement, weight = bandwidth) and, when the step has mirrors, its
// header text: label, then name and a space when name is not empty.
func (s *selector) weighted(ids []mirrorID, label, name string) {
	start := len(s.keys)
	s.addKeys(ids, label, name)
	s.flush(start)
}

// addKeys adds the weighted keys of ids and, when there are any, the
// step's header text.
func (s *selector) addKeys(ids []mirrorID, label, name string) {
	for _, id := range ids {
		s.keys = append(s.keys, s.sortKey(s.weightKey(id), id))
	}
	if len(ids) > 0 {
		s.header = append(s.header, label...)
		if name != "" {
			s.header = append(s.header, name...)
			s.header = append(s.header, ' ')
		}
	}
}

// weightKey is an exponential variate with rate = bandwidth (at least 1, at
// most the cap): sorting by it ascending draws without replacement with
// probability proportional to bandwidth (Efraimidis and Spirakis), in
// O(n log n).
func (s *selector) weightKey(id mirrorID) float64 {
	return s.rnd.ExpFloat64() / float64(min(s.snap.mirrors[id].Bandwidth, s.maxBW))
}

// flush sorts the keys added since start, appends their mirrors, and
// reports whether any mirror was new.
func (s *selector) flush(start int) bool {
	ks := s.keys[start:]
	s.sorter.sort(ks)
	added := false
	for _, k := range ks {
		added = s.add(s.snap.order[k&idMask]) || added
	}
	s.keys = s.keys[:start]
	return added
}

// add appends a mirror that carries the content, has a usable URL and was
// not listed yet; it reports whether it did.
func (s *selector) add(id mirrorID) bool {
	if s.ruled {
		return s.addRuled(id)
	}
	w, b := id/64, uint64(1)<<(uint(id)%64)
	if s.seen[w]&b != 0 || !s.dir.Carries(id) {
		return false
	}
	s.seen[w] |= b
	if len(s.out) == 0 {
		s.first = s.step
	}
	s.out = append(s.out, id)
	if s.protos == nil || hasProtocol(&s.snap.mirrors[id], s.protos) {
		s.counted++
	}
	return true
}

// addRuled is add when a host rule can matter (some mirror has
// countries_allowed, or the family order runs): kept apart so that the
// common path stays as short as it was without them. It also records the
// step and the family counts that byFamily needs.
//
//go:noinline
func (s *selector) addRuled(id mirrorID) bool {
	w, b := id/64, uint64(1)<<(uint(id)%64)
	rule := s.snap.hostRules[id]
	if s.seen[w]&b != 0 || !s.dir.Carries(id) || rule&restricted != 0 && !s.snap.mirrors[id].allows(s.country) {
		return false
	}
	s.seen[w] |= b
	if len(s.out) == 0 {
		s.first = s.step
	}
	s.out = append(s.out, id)
	counts := s.protos == nil || hasProtocol(&s.snap.mirrors[id], s.protos)
	if counts {
		s.counted++
	}
	if s.family != 0 || s.explain {
		s.steps = append(s.steps, s.step)
	}
	if s.family != 0 {
		if rule.serves(s.family) {
			s.famAll++
			if counts {
				s.famCounted++
			}
		}
	}
	return true
}

func hasProtocol(m *mirror, protos []string) bool {
	for _, u := range m.URLs {
		if slices.Contains(protos, u.Scheme) {
			return true
		}
	}
	return false
}

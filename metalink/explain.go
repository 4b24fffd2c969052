package metalink

import (
	"net/http"
	"strings"
)

// Reason says why a mirror of a snapshot is not in an answer.
type Reason uint8

// The reasons a mirror of the snapshot is left out, in the order Explain
// tests them.
const (
	ReasonNone          Reason = iota
	ReasonNotCarried           // it does not carry the directory's current content
	ReasonCountryLimit         // its countries_allowed leaves out the client's country
	ReasonNotInLocation        // a regional mirror of another location
	ReasonRegional             // a regional mirror, and no location applied
	ReasonPrivate              // a private mirror whose netblocks do not hold the client
	ReasonFamily               // not reachable over the client's address family
	ReasonProtocol             // it has no URL of the protocols asked for
	ReasonOverList             // the answer was complete without it
)

var reasonNames = [...]string{"", "not-carried", "country-limit", "not-in-location", "regional", "private",
	"address-family", "protocol", "over-list"}

// String is the reason's name on the wire: "not-carried", "country-limit",
// "not-in-location", "regional", "private", "address-family", "protocol",
// "over-list", or "" for ReasonNone.
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return ""
}

// Listed is a mirror in an answer: its 1-based position and the selection
// step that listed it.
type Listed struct {
	Mirror   string
	Position int
	Step     Step
}

// LeftOut is a mirror of the snapshot that is not in an answer, and why.
type LeftOut struct {
	Mirror string
	Reason Reason
}

// Explanation is why an answer lists the mirrors it does.
type Explanation struct {
	// Status and Message are the failure the answer would be (an unknown
	// repository, an invalid value); Status is 200 and Message empty when
	// mirrors were selected.
	Status  int
	Message string
	// Directory is the directory the request was answered from.
	Directory string
	// Country is the client's country as selection saw it (after the
	// netblock overrides); Family the address family it favoured (4, 6,
	// or 0 when none mattered).
	Country string
	Family  int
	// ASN is the client's autonomous system, 0 when unknown.
	ASN uint32
	// Listed are the mirrors of the answer, in its order.
	Listed []Listed
	// LeftOut are the snapshot's other mirrors, in the snapshot's order.
	LeftOut []LeftOut
}

// Explain runs the selection of a /metalink answer for q and c with o and
// says, for every mirror of snap, which step listed it or why it was left
// out. With the same randomness it lists the mirrors of Answer's metalink
// in the same order: it runs the same selector, only recording each step.
// A path= that has no metalink is explained as its mirrorlist would be.
func Explain(snap *Snapshot, q *Query, c Client, o Options) Explanation {
	fail := Explanation{Status: http.StatusOK}
	switch {
	case !(q.HasRepo && q.HasArch) && !q.HasPath:
		fail.Message = "either path=, or repo= and arch= must be specified"
		return fail
	case q.Invalid() != "":
		fail.Message = "invalid value of " + q.Invalid() + "="
		return fail
	case q.InvalidIPV():
		fail.Message = "invalid value of ipv="
		return fail
	}
	t, f, ok := resolve(snap, q, true, o.MountPrefix)
	if ok && t.file == nil && t.dir.State == nil {
		ok, f = false, failure{http.StatusNotFound, t.dir.Path + repomdSuffix + " not found or has not metalink"}
	}
	if !ok && q.HasPath {
		t, f, ok = resolve(snap, q, false, o.MountPrefix)
	}
	if !ok {
		msg, _, _ := strings.Cut(f.msg, "\n")
		return Explanation{Status: f.Status, Message: strings.TrimPrefix(msg, "# ")}
	}
	s := &selector{explain: true}
	s.run(snap, t.dir, q, c, o)
	e := Explanation{Status: http.StatusOK, Directory: t.dir.Path, Country: s.country, Family: int(s.family), ASN: c.ASN}
	filter, _ := protocolFilter(snap, s.out, s.protos)
	reason := make([]Reason, len(snap.mirrors))
	for i, id := range s.out {
		m := &snap.mirrors[id]
		if filter.next(m, 0, 0) < 0 {
			reason[id] = ReasonProtocol
			continue
		}
		e.Listed = append(e.Listed, Listed{Mirror: m.Name, Position: len(e.Listed) + 1, Step: s.steps[i]})
		reason[id] = ReasonNone
	}
	listed := make([]bool, len(snap.mirrors))
	for _, id := range s.out {
		listed[id] = true
	}
	for _, id := range s.rest {
		if !listed[id] {
			reason[id], listed[id] = ReasonFamily, true
		}
	}
	local := q.Location != "" || snap.cloudLocation(c.Addr) != ""
	for _, id := range snap.order {
		m := &snap.mirrors[id]
		if !listed[id] {
			reason[id] = leftOutReason(snap, t.dir, s, id, local)
		}
		if reason[id] != ReasonNone {
			e.LeftOut = append(e.LeftOut, LeftOut{Mirror: m.Name, Reason: reason[id]})
		}
	}
	return e
}

// leftOutReason is why selection never listed mirror id: the first of the
// rules that keep a mirror out of every step, else that the answer was
// complete without it.
func leftOutReason(snap *Snapshot, dir *dirView, s *selector, id mirrorID, local bool) Reason {
	m := &snap.mirrors[id]
	switch {
	case !dir.Carries(id):
		return ReasonNotCarried
	case snap.hostRules[id]&restricted != 0 && !m.allows(s.country):
		return ReasonCountryLimit
	case m.Regional && local:
		return ReasonNotInLocation
	case m.Regional:
		return ReasonRegional
	case m.Hidden:
		return ReasonPrivate
	}
	return ReasonOverList
}

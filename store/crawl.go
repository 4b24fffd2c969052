package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Where a freshness record came from.
const (
	// SourceReport is a mirror's own report (the admin API, mirror-sync).
	SourceReport = "report"
	// SourceCrawl is what the crawler saw the mirror serve.
	SourceCrawl = "crawl"
)

// What a crawl saw in one directory of a mirror (Observation.Status).
const (
	// SeenOK: the mirror served a repomd.xml the directory accepts
	// (Observation.SHA256 names it).
	SeenOK = "ok"
	// SeenOther: the mirror served a repomd.xml that is neither the
	// current one nor an alternate (Observation.SHA256 names it when known).
	SeenOther = "other"
	// SeenMissing: the mirror answered that it has no such file (HTTP 404
	// or 410, absent from the rsync listing).
	SeenMissing = "missing"
	// SeenError: the request failed (timeout, refused, 5xx, TLS): nothing
	// was learnt about the content.
	SeenError = "error"
)

// Why a protocol check failed (ProtocolCheck.Reason).
const (
	ReasonTimeout      = "timeout"
	ReasonRefused      = "refused"
	ReasonTLS          = "tls"
	ReasonHTTPStatus   = "http-status"
	ReasonWrongContent = "wrong-content"
	ReasonError        = "error"
)

// ErrLocked is returned by CrawlStore.LockCrawl when another crawler holds
// the crawl lock.
var ErrLocked = errors.New("another crawl is running")

// Observation is what one crawl saw in one directory of one mirror.
type Observation struct {
	Directory string
	Status    string // one of the Seen* values
	SHA256    string // the repomd.xml served; "" when not known
	Detail    string // for SeenError and SeenMissing, what happened
}

// ProtocolCheck is the outcome of crawling one mirror over one protocol.
type ProtocolCheck struct {
	Protocol string // "http", "https" or "rsync"
	OK       bool
	Reason   string // "" when OK, else one of the Reason* values
	Detail   string // readable detail, such as "HTTP 503" or the TLS error
}

// CrawlResult is one crawl of one mirror.
type CrawlResult struct {
	Mirror       string
	Started      time.Time
	Finished     time.Time
	Checks       []ProtocolCheck
	Observations []Observation
}

// Failed reports whether the crawl reached the mirror over no protocol.
func (r *CrawlResult) Failed() bool {
	for _, c := range r.Checks {
		if c.OK {
			return false
		}
	}
	return true
}

// CrawlPolicy is the health rule a crawl result is recorded under.
type CrawlPolicy struct {
	// DisableAfter is how many consecutive failed crawls take a mirror out
	// of answers; 0 never does.
	DisableAfter int
	// ManualRecovery keeps a mirror the crawler disabled out of answers
	// after a successful crawl, until an admin brings it back.
	ManualRecovery bool
}

// DefaultDisableAfter is MirrorManager's number of failed crawls before a
// mirror is disabled.
const DefaultDisableAfter = 4

// CrawlOutcome says what recording one crawl result changed.
type CrawlOutcome struct {
	Written   int  `json:"written"`             // freshness rows written or removed
	Disabled  bool `json:"disabled,omitempty"`  // this result took the mirror out of answers
	Recovered bool `json:"recovered,omitempty"` // this result brought it back
}

// ProtocolHealth is a mirror's crawl history over one protocol.
type ProtocolHealth struct {
	Protocol            string    `json:"protocol" yaml:"protocol"`
	LastSuccess         time.Time `json:"last_success,omitzero" yaml:"last_success,omitempty"`
	LastFailure         time.Time `json:"last_failure,omitzero" yaml:"last_failure,omitempty"`
	LastReason          string    `json:"last_reason,omitempty" yaml:"last_reason,omitempty"`
	LastDetail          string    `json:"last_detail,omitempty" yaml:"last_detail,omitempty"`
	ConsecutiveFailures int       `json:"consecutive_failures,omitempty" yaml:"consecutive_failures,omitempty"`
}

// MirrorHealth is the crawler's view of one mirror. A mirror the crawler
// disabled stays enabled by its admin but is left out of answers.
type MirrorHealth struct {
	Mirror              string           `json:"mirror" yaml:"mirror"`
	LastCrawl           time.Time        `json:"last_crawl,omitzero" yaml:"last_crawl,omitempty"`
	ConsecutiveFailures int              `json:"consecutive_failures,omitempty" yaml:"consecutive_failures,omitempty"`
	Disabled            bool             `json:"disabled,omitempty" yaml:"disabled,omitempty"`
	Reason              string           `json:"reason,omitempty" yaml:"reason,omitempty"`
	Since               time.Time        `json:"since,omitzero" yaml:"since,omitempty"`
	Protocols           []ProtocolHealth `json:"protocols,omitempty" yaml:"protocols,omitempty"`
}

// PropagationPoint counts, for one directory after one crawl, the mirrors
// serving its current repomd.xml and those serving something else.
type PropagationPoint struct {
	Directory string    `json:"directory"`
	At        time.Time `json:"at"`
	SHA256    string    `json:"sha256"`  // the directory's current repomd at At
	Current   int       `json:"current"` // mirrors serving it
	Older     int       `json:"older"`   // mirrors serving an alternate
	Other     int       `json:"other"`   // mirrors serving something else or nothing
	Failed    int       `json:"failed"`  // mirrors the crawl could not reach
}

// CrawlStore is what the crawler needs of a store beyond Store.
type CrawlStore interface {
	// RecordCrawl records one mirror's crawl in one transaction: freshness
	// rows with SourceCrawl for what changed, the health of each protocol,
	// and the health rule of p. Nothing is written for rows that did not
	// change. The rules are ApplyCrawl's. The servers are told of the
	// transaction (Changes) only when it changed freshness or took the
	// mirror out of answers or brought it back, never for the health's
	// times and counters alone. ErrNotFound when there is no such mirror,
	// ErrInvalid for a malformed result.
	RecordCrawl(ctx context.Context, r CrawlResult, p CrawlPolicy) (CrawlOutcome, error)
	// Health returns the crawl state of one mirror, or of all of them for
	// an empty name, sorted by mirror.
	Health(ctx context.Context, mirror string) ([]MirrorHealth, error)
	// Recover brings back a mirror the crawler disabled and clears its
	// consecutive failures; ErrNotFound when there is no such mirror. The
	// admin's Mirror.Enabled is not touched.
	Recover(ctx context.Context, mirror string) error
	// RecordPropagation adds one crawl's counts and drops points older
	// than keep before the newest of points (none for keep <= 0). Answers
	// do not depend on them: it is not signalled by Changes.
	RecordPropagation(ctx context.Context, points []PropagationPoint, keep time.Duration) error
	// Propagation returns the points of one directory (all for "") at or
	// after since, oldest first.
	Propagation(ctx context.Context, directory string, since time.Time) ([]PropagationPoint, error)
	// LockCrawl takes the crawl lock, held until unlock is called or the
	// process ends; ErrLocked when another crawler holds it, in this
	// process or another (PostgreSQL: a session advisory lock on a
	// connection of its own; the embedded store: a file lock in the data
	// directory). unlock may be called more than once.
	LockCrawl(ctx context.Context) (unlock func() error, err error)
}

// Protocols the crawler checks (ProtocolCheck.Protocol).
var crawlProtocols = map[string]bool{"http": true, "https": true, "rsync": true, "ftp": true}

// LastObservation is the crawler's last word on one directory of one
// mirror, kept for the precedence of crawls over reports. Seen is when the
// crawler saw it (the crawl's start); it is moved forward only when the
// directory's current repomd was recorded after it, so that it always
// names a time at which the mirror served what Status and SHA256 say.
type LastObservation struct {
	Directory string
	Status    string // SeenOK, SeenOther or SeenMissing
	SHA256    string
	Seen      time.Time
}

// serves reports whether o saw the mirror serve sha256.
func (o *LastObservation) serves(sha256 string) bool {
	return o.Status == SeenOK && o.SHA256 == sha256
}

// CheckReport applies the precedence rule of crawls over reports to a
// self-report f for dir, given the crawler's last observation of the same
// mirror and directory (nil when it has none: a mirror never crawled, such
// as a regional or private one, or a directory it never saw). A report
// cannot make a mirror fresh for a repomd the crawler saw it not serving
// at a time after the scan recorded that repomd: it fails with ErrConflict.
// A report of a repomd recorded after that crawl is accepted, as is any
// report the crawler's observation agrees with.
func CheckReport(f Freshness, dir *Directory, seen *LastObservation) error {
	if seen == nil || seen.serves(f.SHA256) {
		return nil
	}
	recorded, ok := dir.recorded(f.SHA256)
	if !ok || !seen.Seen.After(recorded) {
		return nil
	}
	return &ReportRefusedError{Report: f, Seen: *seen, Recorded: recorded}
}

// ReportRefusedError is a self-report refused by the precedence rule
// (CheckReport). It matches ErrConflict.
type ReportRefusedError struct {
	Report   Freshness
	Seen     LastObservation // what the crawler saw instead, and when
	Recorded time.Time       // when the scan recorded the reported repomd
}

func (e *ReportRefusedError) Error() string {
	return fmt.Sprintf("mirror %q: the crawler saw it serve %s for %s at %s, after repomd.xml %s was recorded (%s); "+
		"a report cannot make it fresh there until a crawl sees that repomd.xml",
		e.Report.Mirror, e.Saw(), e.Report.Directory, e.Seen.Seen.UTC().Format(time.RFC3339), e.Report.SHA256,
		e.Recorded.UTC().Format(time.RFC3339))
}

// Saw says what the crawler saw, in words.
func (e *ReportRefusedError) Saw() string {
	switch {
	case e.Seen.Status == SeenMissing:
		return "no repomd.xml"
	case e.Seen.Status == SeenOK:
		return "repomd.xml " + e.Seen.SHA256
	case e.Seen.SHA256 != "":
		return "repomd.xml " + e.Seen.SHA256 + ", neither the current one nor an alternate"
	}
	return "a repomd.xml that is neither the current one nor an alternate"
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ReportRefusedError) Unwrap() error { return ErrConflict }

// recorded returns when the scan recorded the repomd with sha256, if d
// accepts it.
func (d *Directory) recorded(sha256 string) (time.Time, bool) {
	if d.Current.SHA256 == sha256 {
		return d.Current.Recorded, true
	}
	for i := range d.Alternates {
		if d.Alternates[i].SHA256 == sha256 {
			return d.Alternates[i].Recorded, true
		}
	}
	return time.Time{}, false
}

// CrawlState is what a store holds about one mirror when a crawl of it is
// recorded: the state ApplyCrawl decides against.
type CrawlState struct {
	// Health is the mirror's stored health; zero when never crawled.
	Health MirrorHealth
	// Freshness holds the mirror's freshness rows by directory.
	Freshness map[string]Freshness
	// Seen holds the crawler's last observations by directory.
	Seen map[string]LastObservation
	// Directories holds the scanned directories by path (at least those
	// the result observes).
	Directories map[string]*Directory
}

// CrawlPlan is what recording a crawl writes.
type CrawlPlan struct {
	Put    []Freshness       // freshness rows to create or replace
	Delete []string          // directories whose freshness row goes
	Seen   []LastObservation // observations to create or replace
	Health MirrorHealth      // the mirror's new health, always written
	// Outcome is what the caller is told.
	Outcome CrawlOutcome
}

// Changed reports whether the plan changes what answers are built from
// (freshness, or whether the mirror is in answers): only such a change is
// signalled to the servers. A crawl that changes only the health's times
// and counters is not.
func (p *CrawlPlan) Changed() bool {
	return p.Outcome.Written > 0 || p.Outcome.Disabled || p.Outcome.Recovered
}

// ValidateCrawlResult checks a crawl result before anything is read.
func ValidateCrawlResult(r *CrawlResult) error {
	v := &validator{}
	if r.Mirror == "" {
		v.add("mirror", "", "must be set")
	}
	if r.Started.IsZero() && r.Finished.IsZero() {
		v.add("started", r.Mirror, "a crawl needs its time")
	}
	seen := map[string]bool{}
	for i, c := range r.Checks {
		f := fmt.Sprintf("checks[%d]", i)
		if !crawlProtocols[c.Protocol] {
			v.add(f+".protocol", r.Mirror, "must be http, https, rsync or ftp")
		}
		if seen[c.Protocol] {
			v.add(f+".protocol", r.Mirror, "checked twice")
		}
		seen[c.Protocol] = true
	}
	dirs := map[string]bool{}
	for i, o := range r.Observations {
		f := fmt.Sprintf("observations[%d]", i)
		switch o.Status {
		case SeenOK, SeenOther, SeenMissing, SeenError:
		default:
			v.add(f+".status", o.Directory, "must be ok, other, missing or error")
		}
		if (o.Status == SeenOK || o.SHA256 != "") && !isHex(o.SHA256, 64) {
			v.add(f+".sha256", o.Directory, "must be 64 lower-case hex digits")
		}
		if dirs[o.Directory] {
			v.add(f+".directory", o.Directory, "observed twice")
		}
		dirs[o.Directory] = true
	}
	return v.err()
}

// ApplyCrawl decides what recording r under policy p changes in st, the
// stored state of r.Mirror (see CrawlStore.RecordCrawl). The rules:
//   - SeenOK with a repomd the directory accepts makes the mirror fresh
//     there (a row with SourceCrawl), unless it already is with that very
//     repomd; SeenOK with a repomd no longer accepted counts as SeenOther.
//   - SeenOther and SeenMissing remove the mirror's freshness row there.
//   - The newer observation wins: a report made after the crawl started
//     is kept, whatever the crawl saw.
//   - SeenError teaches nothing: freshness and observation stay.
//   - Directories the store does not know are skipped.
//   - A failed crawl (CrawlResult.Failed) counts towards p.DisableAfter;
//     a successful one resets the count and brings back a mirror the
//     crawler disabled, unless p.ManualRecovery.
func ApplyCrawl(st *CrawlState, r *CrawlResult, p CrawlPolicy) CrawlPlan {
	t := r.Started
	if t.IsZero() {
		t = r.Finished
	}
	end := r.Finished
	if end.IsZero() {
		end = t
	}
	var plan CrawlPlan
	for _, o := range r.Observations {
		dir := st.Directories[o.Directory]
		if dir == nil || o.Status == SeenError {
			continue
		}
		status := o.Status
		if status == SeenOK && !dir.Accepts(o.SHA256) {
			status = SeenOther
		}
		prev, had := st.Seen[o.Directory]
		if !had || prev.Status != status || prev.SHA256 != o.SHA256 || prev.Seen.Before(dir.Current.Recorded) {
			plan.Seen = append(plan.Seen, LastObservation{Directory: o.Directory, Status: status, SHA256: o.SHA256, Seen: t})
		}
		fr, fresh := st.Freshness[o.Directory]
		if fresh && !fr.FromCrawl() && fr.Reported.After(t) {
			continue // a newer report
		}
		switch {
		case status == SeenOK && (!fresh || fr.SHA256 != o.SHA256):
			plan.Put = append(plan.Put, Freshness{Mirror: r.Mirror, Directory: o.Directory, SHA256: o.SHA256, Reported: t, Source: SourceCrawl})
		case status != SeenOK && fresh:
			plan.Delete = append(plan.Delete, o.Directory)
		}
	}
	plan.Outcome.Written = len(plan.Put) + len(plan.Delete)

	h := st.Health
	h.Mirror = r.Mirror
	h.LastCrawl = end
	h.Protocols = slices.Clone(h.Protocols)
	var last *ProtocolCheck
	for i, c := range r.Checks {
		j := slices.IndexFunc(h.Protocols, func(x ProtocolHealth) bool { return x.Protocol == c.Protocol })
		if j < 0 {
			h.Protocols = append(h.Protocols, ProtocolHealth{Protocol: c.Protocol})
			j = len(h.Protocols) - 1
		}
		ph := &h.Protocols[j]
		if c.OK {
			ph.LastSuccess, ph.ConsecutiveFailures = end, 0
		} else {
			ph.LastFailure, ph.LastReason, ph.LastDetail = end, c.Reason, c.Detail
			ph.ConsecutiveFailures++
			last = &r.Checks[i]
		}
	}
	if r.Failed() {
		h.ConsecutiveFailures++
		if p.DisableAfter > 0 && h.ConsecutiveFailures >= p.DisableAfter && !h.Disabled {
			h.Disabled, h.Since = true, end
			h.Reason = fmt.Sprintf("%d consecutive failed crawls", h.ConsecutiveFailures)
			if last != nil {
				h.Reason += "; last: " + last.Protocol + " " + last.Reason
				if last.Detail != "" {
					h.Reason += " (" + last.Detail + ")"
				}
			} else {
				h.Reason += "; no protocol could be checked"
			}
			plan.Outcome.Disabled = true
		}
	} else {
		h.ConsecutiveFailures = 0
		if h.Disabled && !p.ManualRecovery {
			h.Disabled, h.Reason, h.Since = false, "", time.Time{}
			plan.Outcome.Recovered = true
		}
	}
	h.normalize()
	plan.Health = h
	return plan
}

// ApplyRecover brings back a mirror the crawler disabled and clears its
// consecutive failures, its own and each protocol's; it reports whether that changed whether the
// mirror is in answers.
func (h *MirrorHealth) ApplyRecover() bool {
	was := h.Disabled
	h.Disabled, h.Reason, h.Since, h.ConsecutiveFailures = false, "", time.Time{}, 0
	for i := range h.Protocols {
		h.Protocols[i].ConsecutiveFailures = 0
	}
	return was
}

func (h *MirrorHealth) normalize() {
	slices.SortFunc(h.Protocols, func(a, b ProtocolHealth) int { return strings.Compare(a.Protocol, b.Protocol) })
	if len(h.Protocols) == 0 {
		h.Protocols = nil
	}
}

// Normalize puts h in canonical form: protocols sorted.
func (h *MirrorHealth) Normalize() { h.normalize() }

func validateHealth(v *validator, f string, h *MirrorHealth, mirrors map[string]bool) {
	if !mirrors[h.Mirror] {
		v.add(f+".mirror", h.Mirror, "unknown mirror")
	}
	if h.ConsecutiveFailures < 0 {
		v.add(f+".consecutive_failures", h.Mirror, "must not be negative")
	}
	if !h.Disabled && (h.Reason != "" || !h.Since.IsZero()) {
		v.add(f+".reason", h.Mirror, "only a disabled mirror has a reason and a since")
	}
	protos := map[string]bool{}
	for i, p := range h.Protocols {
		pf := fmt.Sprintf("%s.protocols[%d]", f, i)
		if !crawlProtocols[p.Protocol] {
			v.add(pf+".protocol", h.Mirror, "must be http, https, rsync or ftp")
		}
		if protos[p.Protocol] {
			v.add(pf+".protocol", h.Mirror, "duplicate protocol")
		}
		protos[p.Protocol] = true
		if p.ConsecutiveFailures < 0 {
			v.add(pf+".consecutive_failures", h.Mirror, "must not be negative")
		}
	}
}

func validSource(s string) bool { return s == "" || s == SourceReport || s == SourceCrawl }

// ValidatePropagation checks points before they are recorded.
func ValidatePropagation(points []PropagationPoint) error {
	v := &validator{}
	for i, p := range points {
		f := fmt.Sprintf("propagation[%d]", i)
		if p.Directory == "" {
			v.add(f+".directory", "", "must be set")
		}
		if p.At.IsZero() {
			v.add(f+".at", p.Directory, "must be set")
		}
		if p.SHA256 != "" {
			checkHex(v, f+".sha256", p.Directory, p.SHA256, 64, false)
		}
		if p.Current < 0 || p.Older < 0 || p.Other < 0 || p.Failed < 0 {
			v.add(f, p.Directory, "counts must not be negative")
		}
	}
	return v.err()
}

// HealthState names a mirror's state for lists: "ok", "disabled-by-crawler",
// "admin-disabled" or "unknown" (never crawled, or not crawlable).
func HealthState(m *Mirror, h *MirrorHealth) string {
	switch {
	case !m.Enabled:
		return StateAdminDisabled
	case h != nil && h.Disabled:
		return StateCrawlerDisabled
	case h == nil || h.LastCrawl.IsZero():
		return StateUnknown
	}
	return StateOK
}

// A mirror's state (HealthState).
const (
	StateOK              = "ok"
	StateCrawlerDisabled = "disabled-by-crawler"
	StateAdminDisabled   = "admin-disabled"
	StateUnknown         = "unknown"
)

// CrawlerDisabled returns the names of the mirrors the crawler took out of
// answers.
func (d *Dataset) CrawlerDisabled() map[string]bool {
	var out map[string]bool
	for i := range d.Health {
		if d.Health[i].Disabled {
			if out == nil {
				out = map[string]bool{}
			}
			out[d.Health[i].Mirror] = true
		}
	}
	return out
}

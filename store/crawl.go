package store

import (
	"context"
	"errors"
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
	Written   int  // freshness rows written or removed
	Disabled  bool // this result took the mirror out of answers
	Recovered bool // this result brought it back
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
	// change.
	RecordCrawl(ctx context.Context, r CrawlResult, p CrawlPolicy) (CrawlOutcome, error)
	// Health returns the crawl state of one mirror, or of all of them for
	// an empty name, sorted by mirror.
	Health(ctx context.Context, mirror string) ([]MirrorHealth, error)
	// Recover brings back a mirror the crawler disabled and clears its
	// consecutive failures; ErrNotFound when there is no such mirror.
	Recover(ctx context.Context, mirror string) error
	// RecordPropagation adds one crawl's counts and drops points older
	// than keep.
	RecordPropagation(ctx context.Context, points []PropagationPoint, keep time.Duration) error
	// Propagation returns the points of one directory (all for "") at or
	// after since, oldest first.
	Propagation(ctx context.Context, directory string, since time.Time) ([]PropagationPoint, error)
	// LockCrawl takes the crawl lock, held until unlock is called or the
	// process ends; ErrLocked when another crawler holds it.
	LockCrawl(ctx context.Context) (unlock func() error, err error)
}

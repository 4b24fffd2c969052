package adminapi

import (
	"context"
	"net/http"
	"net/url"
)

// ExplainQuery is what GET /explain takes: the parameters of a public
// /metalink request (repo and arch, or path; location, country, protocol,
// ipv) and ip, the client address to explain the answer for (none when
// empty: selection then has no netblock, ASN or cloud range to go by).
type ExplainQuery struct {
	Repo, Arch, Path string
	IP               string
	Location         string
	Country          string
	Protocol         string
	IPV              string
}

// URLPath returns the request path of q: /explain with its parameters.
func (q ExplainQuery) URLPath() string {
	v := url.Values{}
	for _, p := range [...]struct{ k, v string }{{"repo", q.Repo}, {"arch", q.Arch}, {"path", q.Path}, {"ip", q.IP},
		{"location", q.Location}, {"country", q.Country}, {"protocol", q.Protocol}, {"ipv", q.IPV}} {
		if p.v != "" {
			v.Set(p.k, p.v)
		}
	}
	return "/explain?" + v.Encode()
}

// The reasons Explanation gives for a mirror left out of the answer.
const (
	ReasonDisabled        = "disabled"            // its admin disabled it
	ReasonCrawlerDisabled = "disabled-by-crawler" // the crawler took it out (Detail says why)
	ReasonNotInSnapshot   = "not-in-snapshot"     // added or enabled since the server last reloaded
	ReasonNotCarried      = "not-carried"         // no report of the directory, nor always up to date
	ReasonStale           = "stale"               // it reported a repomd.xml the directory no longer accepts (Detail: its sha256)
	ReasonCountryLimit    = "country-limit"       // countries_allowed leaves out the client's country
	ReasonNotInLocation   = "not-in-location"     // regional, of another location
	ReasonRegional        = "regional"            // regional, and no location applied
	ReasonPrivate         = "private"             // private, and none of its netblocks holds the client
	ReasonAddressFamily   = "address-family"      // not reachable over the client's address family
	ReasonProtocol        = "protocol"            // no URL of the protocols asked for
	ReasonOverList        = "over-list"           // the answer was complete without it
)

// DetailOlder is the Detail of a listed mirror that serves an older
// repomd.xml of the directory, which the directory still accepts.
const DetailOlder = "serves an older repomd.xml, still accepted"

// Explanation is GET /explain: the answer the server gives for a query,
// with for every mirror the selection step that listed it or why it was
// left out. Status and Message are the failure the answer would be (200
// and empty when mirrors were selected).
type Explanation struct {
	Status    int    `json:"status"`
	Message   string `json:"message,omitempty"`
	Directory string `json:"directory,omitempty"`
	// Country and ASN are the client's as selection saw them; Family the
	// address family the answer favoured (4 or 6), 0 when none mattered.
	Country string `json:"country,omitempty"`
	ASN     uint32 `json:"asn,omitempty"`
	Family  int    `json:"family,omitempty"`
	// Listed are the answer's mirrors in its order; LeftOut every other
	// mirror, in the server's order.
	Listed  []ExplainedMirror `json:"listed"`
	LeftOut []ExplainedMirror `json:"left_out"`
}

// ExplainedMirror is one mirror of an Explanation: a listed one has its
// 1-based Position and the Step that listed it (location, cloud,
// netblock, asn, country, continent, global) and, when it is stale
// there, Detail DetailOlder; one left out has a Reason
// (one of the Reason constants) and, for some, a Detail.
type ExplainedMirror struct {
	Mirror   string `json:"mirror"`
	Position int    `json:"position,omitempty"`
	Step     string `json:"step,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

// Explain returns the explanation of the answer to q.
func (c *Client) Explain(ctx context.Context, q ExplainQuery) (Explanation, error) {
	var out Explanation
	_, err := c.Do(ctx, http.MethodGet, q.URLPath(), nil, &out)
	return out, err
}

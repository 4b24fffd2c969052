// Package metalink answers a request from a snapshot, an immutable index of
// the mirror network: it selects mirrors and renders the answer as
// MirrorManager does, a Metalink 3.0 document or a mirrorlist. It is pure:
// no I/O, so it is easy to test and to benchmark.
package metalink

import (
	"net/url"
	"strings"
)

// Query holds the parameters of a /metalink or /mirrorlist request.
// Presence matters for several of them, as in MirrorManager.
type Query struct {
	Repo, Arch, Path          string
	HasRepo, HasArch, HasPath bool
	Country                   string // country= or its alias cc=
	Netblock                  string
	HasNetblock               bool
	IP                        string
	Protocol                  string
	HasProtocol               bool
	Redirect, Time            bool
	Location                  string
}

// ParseQuery parses a raw query string. Values are percent-decoded (a value
// that does not decode is kept as sent); the last occurrence of a parameter
// wins; parameters the server does not know are ignored.
func ParseQuery(raw string) Query {
	var q Query
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		key, val, _ := strings.Cut(pair, "=")
		if strings.ContainsAny(val, "%+") {
			if v, err := url.QueryUnescape(val); err == nil {
				val = v
			}
		}
		switch key {
		case "repo":
			q.Repo, q.HasRepo = val, true
		case "arch":
			q.Arch, q.HasArch = val, true
		case "path":
			q.Path, q.HasPath = val, true
		case "country", "cc":
			q.Country = val
		case "netblock":
			q.Netblock, q.HasNetblock = val, true
		case "ip":
			q.IP = val
		case "protocol":
			q.Protocol, q.HasProtocol = val, true
		case "redirect":
			q.Redirect = true
		case "time":
			q.Time = true
		case "location":
			q.Location = val
		}
	}
	return q
}

// splitList splits a comma list, dropping empty items and duplicates.
func splitList(s string, upper bool) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if upper {
			item = strings.ToUpper(item)
		} else {
			item = strings.ToLower(item)
		}
		if item == "" || contains(out, item) {
			continue
		}
		out = append(out, item)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

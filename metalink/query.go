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
	// Meta4 asks for a Metalink 4 answer (meta4=1).
	Meta4 bool
	// IPV forces the address family the answer favours (ipv=4 or ipv=6).
	IPV    string
	HasIPV bool
	// Countme is dnf's countme= value as sent; it never changes the
	// answer, only the statistics.
	Countme string
}

// ParseQuery parses a raw query string. Percent-escapes in values are
// decoded (a value that does not decode is kept as sent), but a '+' stays a
// '+': dnf and curl send a metalink or mirrorlist URL as written, and
// Fedora's server reads values verbatim, so path=…/libstdc++-…rpm names
// that file, not one with spaces. The last occurrence of a parameter wins;
// parameters the server does not know are ignored.
func ParseQuery(raw string) Query {
	var q Query
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		key, val, _ := strings.Cut(pair, "=")
		if strings.IndexByte(val, '%') >= 0 {
			if v, err := url.PathUnescape(val); err == nil {
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
		case "ipv":
			q.IPV, q.HasIPV = val, true
		case "meta4":
			q.Meta4 = val != "" && val != "0"
		case "countme":
			q.Countme = val
		}
	}
	return q
}

// splitList splits a comma list, dropping empty items and duplicates.
func splitList(s string, upper bool) []string {
	if s == "" {
		return nil
	}
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

// knownSchemes are the protocol= values a mirror URL can have.
var knownSchemes = []string{"http", "https", "ftp", "rsync"}

// Invalid returns the name of the first parameter whose value breaks its
// grammar, or "" when every value that can reach an answer is well-formed:
// protocol a comma list of known schemes, country (or cc) a comma list of
// two-letter codes or "global", repo and arch the characters of their names.
// dnf's unsubstituted variables ("$releasever") are allowed in repo and arch
// so that such a client still gets the list of repositories. path is checked
// where it is resolved; location, netblock and ip are never echoed as sent.
func (q *Query) Invalid() string {
	switch {
	case !validList(q.Protocol, validScheme):
		return "protocol"
	case !validList(q.Country, validCountry):
		return "country"
	case !validName(q.Repo, 128, true):
		return "repo"
	case !validName(q.Arch, 32, false):
		return "arch"
	}
	return ""
}

// InvalidIPV reports whether ipv= is present with a value other than 4 or
// 6: such a request is refused (400) rather than answered for another
// family than the client asked for.
func (q *Query) InvalidIPV() bool {
	return q.HasIPV && q.IPV != "4" && q.IPV != "6"
}

// validList reports whether every item of a comma list, spaces around it
// aside, is empty or valid.
func validList(s string, valid func(string) bool) bool {
	for s != "" {
		var item string
		item, s, _ = strings.Cut(s, ",")
		if item = strings.Trim(item, " "); item != "" && !valid(item) {
			return false
		}
	}
	return true
}

func validScheme(s string) bool {
	for _, k := range knownSchemes {
		if strings.EqualFold(s, k) {
			return true
		}
	}
	return false
}

func validCountry(s string) bool {
	return strings.EqualFold(s, "global") || len(s) == 2 && isLetter(s[0]) && isLetter(s[1])
}

func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// validName reports whether s has at most maxLen characters from the letters,
// digits, '_', '$' and, for repositories, '.', '+' and '-'.
func validName(s string, maxLen int, repo bool) bool {
	if len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isLetter(c), '0' <= c && c <= '9', c == '_', c == '$':
		case repo && (c == '.' || c == '+' || c == '-'):
		default:
			return false
		}
	}
	return true
}

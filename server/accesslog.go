package server

import (
	"io"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/metalinkd/metalinkd/metalink"
)

// The access log is written by hand rather than through slog: at tens of
// thousands of requests per second slog's generic record handling costs
// more than selecting and rendering a metalink. A line is one JSON object
// with the keys slog's JSON handler would write, or, in text format, the
// key=value line slog's text handler would write.

// Bounds on what a client controls, in bytes: a line stays short whatever
// it sends.
const (
	maxPathLog      = 512
	maxQueryLog     = 512
	maxUserAgentLog = 256
	maxLocationLog  = 64
)

// lineBufs are one line's buffers: the line and the redacted query.
type lineBufs struct{ line, query []byte }

var linePool = sync.Pool{New: func() any { return &lineBufs{line: make([]byte, 0, 768), query: make([]byte, 0, 256)} }}

// accessEntry is what one request line says.
type accessEntry struct {
	at                      time.Time
	id, method, path, query string
	// client is the address selection used; peer is the socket's
	// host:port, written only when its address is not client's (a trusted
	// proxy, or ip=).
	client    netip.Addr
	peer      string
	userAgent string
	firstStep metalink.Step
	location  string
	status    int
	bytes     int
	duration  time.Duration
	// gone says the client went away before the answer was written.
	gone bool
}

// writeAccessLine writes e to w as one line, as text or JSON.
func writeAccessLine(w io.Writer, e *accessEntry, text bool) {
	bufs := linePool.Get().(*lineBufs)
	query := e.query
	if mayHoldSecret(query) {
		bufs.query = appendRedactedQuery(bufs.query[:0], query)
		query = bytesString(bufs.query)
	}
	var b []byte
	if text {
		b = appendAccessText(bufs.line[:0], e, query)
	} else {
		b = appendAccessLine(bufs.line[:0], e, query)
	}
	w.Write(b)
	bufs.line = b
	linePool.Put(bufs)
}

// level is the line's level: a client that went away is no event worth
// more than debug.
func (e *accessEntry) level() string {
	if e.gone {
		return "DEBUG"
	}
	return "INFO"
}

// appendAccessLine appends e as a JSON line; query is its redacted query.
func appendAccessLine(b []byte, e *accessEntry, query string) []byte {
	b = append(b, `{"time":"`...)
	b = appendLogTime(b, e.at, false)
	b = append(b, `","level":"`...)
	b = append(b, e.level()...)
	b = append(b, `","msg":"request","request_id":`...)
	b = appendJSONString(b, e.id, 0)
	b = append(b, `,"method":`...)
	b = appendJSONString(b, e.method, 0)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, e.path, maxPathLog)
	b = append(b, `,"query":`...)
	b = appendJSONString(b, query, maxQueryLog)
	b = append(b, `,"client":"`...)
	start := len(b)
	b = appendAddr(b, e.client)
	client := bytesString(b[start:])
	b = append(b, '"')
	if peer := e.peerIfOther(client); peer != "" {
		b = append(b, `,"peer":`...)
		b = appendJSONString(b, peer, 0)
	}
	b = append(b, `,"user_agent":`...)
	b = appendJSONString(b, e.userAgent, maxUserAgentLog)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(e.status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, int64(e.bytes), 10)
	b = append(b, `,"duration_ms":`...)
	b = appendMillis(b, e.duration)
	b = append(b, `,"first_step":"`...)
	b = append(b, e.firstStep.String()...)
	b = append(b, `","location":`...)
	b = appendJSONString(b, e.location, maxLocationLog)
	return append(b, "}\n"...)
}

// appendAccessText appends e as a key=value line; query is its redacted query.
func appendAccessText(b []byte, e *accessEntry, query string) []byte {
	b = append(b, "time="...)
	b = appendLogTime(b, e.at, true)
	b = append(b, " level="...)
	b = append(b, e.level()...)
	b = append(b, " msg=request request_id="...)
	b = appendTextValue(b, e.id, 0)
	b = append(b, " method="...)
	b = appendTextValue(b, e.method, 0)
	b = append(b, " path="...)
	b = appendTextValue(b, e.path, maxPathLog)
	b = append(b, " query="...)
	b = appendTextValue(b, query, maxQueryLog)
	b = append(b, " client="...)
	client := ""
	if e.client.IsValid() {
		start := len(b)
		b = e.client.AppendTo(b)
		client = bytesString(b[start:])
	} else {
		b = append(b, `""`...)
	}
	if peer := e.peerIfOther(client); peer != "" {
		b = append(b, " peer="...)
		b = appendTextValue(b, peer, 0)
	}
	b = append(b, " user_agent="...)
	b = appendTextValue(b, e.userAgent, maxUserAgentLog)
	b = append(b, " status="...)
	b = strconv.AppendInt(b, int64(e.status), 10)
	b = append(b, " bytes="...)
	b = strconv.AppendInt(b, int64(e.bytes), 10)
	b = append(b, " duration_ms="...)
	b = appendMillis(b, e.duration)
	b = append(b, " first_step="...)
	b = appendTextValue(b, e.firstStep.String(), 0)
	b = append(b, " location="...)
	b = appendTextValue(b, e.location, maxLocationLog)
	return append(b, '\n')
}

// peerIfOther returns the peer when its address is not the client's;
// client is the client's address as the line has it.
func (e *accessEntry) peerIfOther(client string) string {
	if e.peer == "" {
		return ""
	}
	if e.client.IsValid() {
		// Comparing the text is cheap and nearly always decides; parsing
		// settles the rest (an IPv4-mapped peer, say).
		host := e.peer
		if i := strings.LastIndexByte(host, ':'); i > 0 && strings.IndexByte(host, ']') < 0 && strings.Count(host, ":") == 1 {
			host = host[:i]
		}
		if client == host || peerAddr(e.peer) == e.client {
			return ""
		}
	}
	return e.peer
}

func appendAddr(b []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return b
	}
	return a.AppendTo(b)
}

// appendMillis appends d in milliseconds with microsecond decimals: 0.412.
func appendMillis(b []byte, d time.Duration) []byte {
	us := d.Microseconds()
	if us < 0 {
		b = append(b, '-')
		us = -us
	}
	b = strconv.AppendInt(b, us/1000, 10)
	frac := us % 1000
	return append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

// bytesString views b as a string without copying it; the caller does not
// change b while the string is in use (one append call).
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// mayHoldSecret reports whether q may name a credential: it contains
// "token" in any letter case, or a percent-encoding that might spell it.
// Most queries do not, and are written as they came.
func mayHoldSecret(q string) bool {
	if strings.IndexByte(q, '%') >= 0 {
		return true
	}
	// The k of "token" is rare in queries: look for it, then around it.
	for i := 2; i+2 < len(q); i++ {
		j := indexK(q[i:])
		if j < 0 {
			return false
		}
		i += j
		if i+2 < len(q) && strings.EqualFold(q[i-2:i+3], "token") {
			return true
		}
	}
	return false
}

// indexK returns the index of the first k or K in s, or -1.
func indexK(s string) int {
	i, j := strings.IndexByte(s, 'k'), strings.IndexByte(s, 'K')
	if i < 0 || j >= 0 && j < i {
		return j
	}
	return i
}

// appendRedactedQuery appends the raw query q with the value of every
// parameter that carries a credential replaced by REDACTED: an API token in
// a URL must not end up in log files.
func appendRedactedQuery(b []byte, q string) []byte {
	for q != "" {
		pair, rest, more := strings.Cut(q, "&")
		if key, _, _ := strings.Cut(pair, "="); isSecretParam(key) {
			b = append(b, key...)
			b = append(b, "=REDACTED"...)
		} else {
			b = append(b, pair...)
		}
		if more {
			b = append(b, '&')
		}
		q = rest
	}
	return b
}

// isSecretParam reports whether a query parameter names a credential, in
// any letter case and percent-encoding.
func isSecretParam(key string) bool {
	if strings.ContainsAny(key, "%+") {
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
	}
	key = strings.TrimSpace(key)
	return strings.EqualFold(key, "token") || strings.EqualFold(key, "access_token")
}

// bounded returns s cut to at most max bytes (0: no bound) at a character
// boundary, and whether it was cut.
func bounded(s string, max int) (string, bool) {
	if max <= 0 || len(s) <= max {
		return s, false
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i], true
}

// appendTextValue appends s as slog's text handler writes a value: bare
// when it has no space, quote, '=' or non-printable character, else quoted.
// A value cut to max bytes ends in "…".
func appendTextValue(b []byte, s string, max int) []byte {
	s, cut := bounded(s, max)
	switch textQuoting(s) {
	case bare:
		b = append(b, s...)
		if cut {
			b = append(b, "…"...)
		}
		return b
	case plainQuotes:
		b = append(b, '"')
		b = append(b, s...)
	default:
		b = strconv.AppendQuote(b, s)
		b = b[:len(b)-1]
	}
	if cut {
		b = append(b, "…"...)
	}
	return append(b, '"')
}

// How a text value is written.
const (
	bare        = iota // as it is
	plainQuotes        // in quotes, nothing escaped
	escaped            // quoted by strconv.Quote
)

// textQuoting says how slog's text handler would write s: bare unless it is
// empty or has a space, '=', a quote or a character that is not printable
// ASCII; plain quotes suffice when nothing inside needs an escape.
func textQuoting(s string) int {
	if s == "" {
		return plainQuotes
	}
	q := bare
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < ' ' || c == '"' || c == '\\' || c >= 0x7f:
			return escaped
		case c == ' ' || c == '=':
			q = plainQuotes
		}
	}
	return q
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD. A string
// cut to max bytes (0: no bound) ends in "…".
func appendJSONString(b []byte, s string, max int) []byte {
	s, cut := bounded(s, max)
	b = append(b, '"')
	for i := 0; i < len(s); {
		// Copy the run of characters that need no escape at once.
		j := i
		for j < len(s) && jsonPlain[s[j]] {
			j++
		}
		b = append(b, s[i:j]...)
		if i = j; i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	if cut {
		b = append(b, "…"...)
	}
	return append(b, '"')
}

// jsonPlain marks the bytes a JSON string holds as they are: printable
// ASCII but for the quote and the backslash.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// secondText is one second of a local time as the access log writes it,
// up to the fraction ("2006-01-02T15:04:05"), and its zone ("Z" or
// "+01:00"), made once per second rather than per line.
type secondText struct {
	unix int64
	loc  *time.Location
	date string
	zone string
}

var lastSecond atomic.Pointer[secondText]

// appendLogTime appends t as time.RFC3339Nano does or, when millis, as
// "2006-01-02T15:04:05.000Z07:00" does.
func appendLogTime(b []byte, t time.Time, millis bool) []byte {
	sec := t.Unix()
	c := lastSecond.Load()
	if c == nil || c.unix != sec || c.loc != t.Location() {
		text := t.AppendFormat(nil, "2006-01-02T15:04:05Z07:00")
		if len(text) < 20 || text[4] != '-' {
			// A year of other than four digits: rare enough to format
			// whole.
			if millis {
				return t.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
			}
			return t.AppendFormat(b, time.RFC3339Nano)
		}
		c = &secondText{unix: sec, loc: t.Location(), date: string(text[:19]), zone: string(text[19:])}
		lastSecond.Store(c)
	}
	b = append(b, c.date...)
	ns := t.Nanosecond()
	switch {
	case millis:
		ms := ns / 1e6
		b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	case ns != 0:
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i >= 1; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	return append(b, c.zone...)
}

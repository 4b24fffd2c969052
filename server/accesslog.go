package server

import (
	"io"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// The access log is written by hand rather than through slog: at tens of
// thousands of requests per second slog's generic record handling costs
// more than selecting and rendering a metalink. Each line is one JSON
// object with the keys slog's JSON handler would write.

var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// accessEntry is what one request line says.
type accessEntry struct {
	at                      time.Time
	id, method, path, query string
	remote                  string
	status, bytes           int
	duration                time.Duration
}

// writeAccessLine writes e to w as one JSON line.
func writeAccessLine(w io.Writer, e *accessEntry) {
	bp := linePool.Get().(*[]byte)
	b := appendAccessLine((*bp)[:0], e)
	w.Write(b)
	*bp = b
	linePool.Put(bp)
}

func appendAccessLine(b []byte, e *accessEntry) []byte {
	b = append(b, `{"time":"`...)
	b = e.at.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"INFO","msg":"request","request_id":`...)
	b = appendJSONString(b, e.id)
	b = append(b, `,"method":`...)
	b = appendJSONString(b, e.method)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, e.path)
	b = append(b, `,"query":`...)
	b = appendJSONString(b, e.query)
	b = append(b, `,"remote":`...)
	b = appendJSONString(b, e.remote)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(e.status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, int64(e.bytes), 10)
	b = append(b, `,"duration":`...)
	b = strconv.AppendInt(b, int64(e.duration), 10)
	return append(b, "}\n"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
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
	return append(b, '"')
}

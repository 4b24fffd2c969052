package metalink

import (
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// Content types of the two answers.
const (
	MetalinkType   = "application/metalink+xml"
	MirrorlistType = "text/plain"
)

const repomdSuffix = "/repodata/repomd.xml"

// pubdateCache keeps the formatted pubdate of the current second.
type pubdateCache struct {
	unix int64
	text []byte
}

var pubdate atomic.Pointer[pubdateCache]

// appendPubdate appends now as MirrorManager writes pubdate (RFC 1123, GMT),
// formatting it once per second.
func appendPubdate(dst []byte, now time.Time) []byte {
	sec := now.Unix()
	if c := pubdate.Load(); c != nil && c.unix == sec {
		return append(dst, c.text...)
	}
	text := now.UTC().AppendFormat(nil, "Mon, 02 Jan 2006 15:04:05 GMT")
	pubdate.Store(&pubdateCache{unix: sec, text: text})
	return append(dst, text...)
}

// appendHeader appends the XML declaration and the metalink root element.
// The mm0 prefix and namespace are matched literally by librepo.
func appendHeader(dst []byte, now time.Time) []byte {
	dst = append(dst, `<?xml version="1.0" encoding="utf-8"?>`+"\n"+
		`<metalink version="3.0" xmlns="http://www.metalinker.org/" type="dynamic" pubdate="`...)
	dst = appendPubdate(dst, now)
	return append(dst, `" generator="mirrormanager" xmlns:mm0="http://fedorahosted.org/mirrormanager">`+"\n"...)
}

// appendFailure appends a metalink error document: the header, the message
// in a comment, and the closing tag, with no <files>.
func appendFailure(dst []byte, now time.Time, msg string) []byte {
	dst = appendHeader(dst, now)
	dst = append(dst, "<!-- "...)
	dst = appendCommentSafe(dst, msg)
	return append(dst, "\n-->\n</metalink>\n"...)
}

// appendCommentSafe appends s so that it cannot end the XML comment early.
func appendCommentSafe(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '-' && i+1 < len(s) && s[i+1] == '-' {
			dst = append(dst, "- "...)
			continue
		}
		dst = append(dst, s[i])
	}
	return dst
}

// filesPart returns what depends only on the directory, from <files> to
// the opening <resources> tag, rendered once per snapshot.
func (v *dirView) filesPart() []byte {
	v.filesOnce.Do(func() { v.files = renderFiles(v) })
	return v.files
}

// renderFiles renders a scanned directory's <files> part up to <resources>.
func renderFiles(v *dirView) []byte {
	b := make([]byte, 0, 1024)
	b = append(b, " <files>\n  <file name=\"repomd.xml\">\n"...)
	b = appendDetails(b, &v.State.Current, "  ")
	if len(v.State.Alternates) > 0 {
		b = append(b, "   <mm0:alternates>\n"...)
		for i := range v.State.Alternates {
			b = append(b, "    <mm0:alternate>\n"...)
			b = appendDetails(b, &v.State.Alternates[i], "     ")
			b = append(b, "    </mm0:alternate>\n"...)
		}
		b = append(b, "   </mm0:alternates>\n"...)
	}
	return append(b, "   <resources maxconnections=\"1\">\n"...)
}

// appendDetails writes timestamp, size and the hashes, weakest first, as
// MirrorManager does; empty values are left out.
func appendDetails(b []byte, r *store.Repomd, indent string) []byte {
	if r.Timestamp != 0 {
		b = append(b, indent...)
		b = append(b, " <mm0:timestamp>"...)
		b = strconv.AppendInt(b, r.Timestamp, 10)
		b = append(b, "</mm0:timestamp>\n"...)
	}
	if r.Size != 0 {
		b = append(b, indent...)
		b = append(b, " <size>"...)
		b = strconv.AppendInt(b, r.Size, 10)
		b = append(b, "</size>\n"...)
	}
	b = append(b, indent...)
	b = append(b, " <verification>\n"...)
	for _, h := range [...]struct{ typ, val string }{{"md5", r.MD5}, {"sha1", r.SHA1}, {"sha256", r.SHA256}, {"sha512", r.SHA512}} {
		if h.val == "" {
			continue
		}
		b = append(b, indent...)
		b = append(b, "  <hash type=\""...)
		b = append(b, h.typ...)
		b = append(b, "\">"...)
		b = append(b, h.val...)
		b = append(b, "</hash>\n"...)
	}
	b = append(b, indent...)
	return append(b, " </verification>\n"...)
}

// appendMetalink appends the whole metalink document for a scanned
// directory: one <url> per listed URL of each selected mirror, in selection
// order and, within a mirror, in the admin's order, with preference 100
// dropping by one per listed mirror, never below 1.
func appendMetalink(dst []byte, snap *Snapshot, v *dirView, sel []mirrorID, protos []string, now time.Time) []byte {
	fb := v.floor3.forAnswer(v, snap.urlPieces, sel, protos)
	return appendMetalinkDoc(dst, snap, v.filesPart(), v.urlTail, fb, sel, protos, now)
}

// appendMetalinkDoc appends a Metalink 3.0 document: the header, files (the
// <files> part up to <resources>), then each URL: the mirror's base URL
// and tail (the path, escaped for XML, and the closing tag); fb, when not
// nil, holds the directory's floor blocks.
func appendMetalinkDoc(dst []byte, snap *Snapshot, files []byte, tail string, fb *floorBlocks, sel []mirrorID, protos []string, now time.Time) []byte {
	dst = appendHeader(dst, now)
	dst = append(dst, files...)
	f, _ := protocolFilter(snap, sel, protos)
	pieces := snap.urlPieces()
	if f.schemes == nil {
		dst = appendAllURLs(dst, pieces, fb, sel, prefText[:], tail)
		return append(dst, "   </resources>\n  </file>\n </files>\n</metalink>\n"...)
	}
	pref := 100
	for _, id := range sel {
		m := &snap.mirrors[id]
		n := 0
		for i := f.next(m, 0, 0); i >= 0; i = f.next(m, i+1, n) {
			p := &pieces[id][i]
			dst = append(dst, p.open...)
			dst = append(dst, prefText[pref]...)
			dst = append(dst, p.mid...)
			dst = append(dst, tail...)
			n++
		}
		if n > 0 {
			pref = max(pref-1, 1)
		}
	}
	return append(dst, "   </resources>\n  </file>\n </files>\n</metalink>\n"...)
}

// appendAllURLs appends every URL of each selected mirror, in the common
// case of no protocol filter: the first 99 listed mirrors' with their own
// preference (prefs[100] down to prefs[2]), the rest's with the floor's
// (preference 1), whose pieces come rendered whole, and whose URLs come
// as one block from fb when it holds the mirror's (see floor.go).
func appendAllURLs(dst []byte, pieces [][]urlPiece, fb *floorBlocks, sel []mirrorID, prefs []string, tail string) []byte {
	pref := 100
	for k, id := range sel {
		ps := pieces[id]
		if len(ps) == 0 {
			continue
		}
		if pref == 1 {
			for _, id := range sel[k:] {
				if b, ok := fb.block(id, pieces[id]); ok {
					dst = append(dst, b...)
					continue
				}
				for i := range pieces[id] {
					dst = append(dst, pieces[id][i].floor...)
					dst = append(dst, tail...)
				}
			}
			return dst
		}
		text := prefs[pref]
		for i := range ps {
			dst = append(dst, ps[i].open...)
			dst = append(dst, text...)
			dst = append(dst, ps[i].mid...)
			dst = append(dst, tail...)
		}
		pref--
	}
	return dst
}

// prefText holds the preference values 0 to 100 as text.
var prefText = func() (t [101]string) {
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

// urlPiece holds the parts of one <url> element that depend only on the
// mirror: everything before the preference value, everything from it up
// to the directory, and floor, the three joined around the lowest
// preference, 1 (Metalink 4's priority 100), which every mirror listed
// after the 99th has.
type urlPiece struct{ open, mid, floor string }

// newPiece returns the piece of open and mid, with floorPref the text of
// the lowest preference (or priority).
func newPiece(open, mid, floorPref string) urlPiece {
	return urlPiece{open: open, mid: mid, floor: open + floorPref + mid}
}

// urlPieces returns every mirror URL's pieces, rendered once per snapshot.
func (s *Snapshot) urlPieces() [][]urlPiece {
	s.piecesOnce.Do(func() { s.pieces = renderURLPieces(s) })
	return s.pieces
}

// renderURLPieces renders the pieces of every URL of every mirror.
func renderURLPieces(snap *Snapshot) [][]urlPiece {
	out := make([][]urlPiece, len(snap.mirrors))
	for id := range snap.mirrors {
		out[id] = urlPiecesOf(&snap.mirrors[id])
	}
	return out
}

// urlPiecesOf renders the pieces of every URL of m.
func urlPiecesOf(m *mirror) []urlPiece {
	var out []urlPiece
	for _, u := range m.URLs {
		open := `    <url protocol="` + u.Scheme + `" type="` + u.Scheme + `" location="` + m.Country + `" preference="`
		mid := `">` + u.BaseXML + "/"
		if m.Hidden {
			mid = `" mm0:private="True">` + u.BaseXML + "/"
		}
		out = append(out, newPiece(open, mid, prefText[1]))
	}
	return out
}

// appendMirrorlist appends the listed URLs of each selected mirror: one
// per mirror by default; with protocol=, each URL of those protocols (up to
// one per protocol asked for). Each is the directory (with a trailing
// slash) or the file under it.
func appendMirrorlist(dst []byte, snap *Snapshot, dir, sub string, isDir bool, sel []mirrorID, protos []string) []byte {
	f, given := protocolFilter(snap, sel, protos)
	if !given {
		for _, id := range sel {
			if m := &snap.mirrors[id]; m.ListURL >= 0 {
				dst = appendURL(dst, m.URLs[m.ListURL].Base, dir, sub, isDir)
				dst = append(dst, '\n')
			}
		}
		return dst
	}
	for _, id := range sel {
		m := &snap.mirrors[id]
		n := 0
		for i := f.next(m, 0, 0); i >= 0; i = f.next(m, i+1, n) {
			dst = appendURL(dst, m.URLs[i].Base, dir, sub, isDir)
			dst = append(dst, '\n')
			n++
		}
	}
	return dst
}

func appendURL(dst []byte, base, dir, sub string, isDir bool) []byte {
	dst = append(dst, base...)
	dst = append(dst, '/')
	dst = append(dst, dir...)
	if sub != "" {
		if dir != "" {
			dst = append(dst, '/')
		}
		dst = appendPathEscaped(dst, sub)
	}
	if isDir {
		dst = append(dst, '/')
	}
	return dst
}

// redirectURL returns the first http or https URL, in the admin's order, of
// the first selected mirror that has one among the URLs protocol= lists, or
// "" when there is none.
func redirectURL(snap *Snapshot, dir, sub string, isDir bool, sel []mirrorID, protos []string) string {
	f, _ := protocolFilter(snap, sel, protos)
	for _, id := range sel {
		m := &snap.mirrors[id]
		n := 0
		for i := f.next(m, 0, 0); i >= 0; i = f.next(m, i+1, n) {
			if s := m.URLs[i].Scheme; s == "https" || s == "http" {
				return string(appendURL(nil, m.URLs[i].Base, dir, sub, isDir))
			}
			n++
		}
	}
	return ""
}

// appendPathEscaped appends a decoded path= remainder as a URL path: bytes
// that RFC 3986 allows in a path (a '+' among them) are written as they are,
// any other byte percent-encoded, so that the client's own escapes come back
// and a mirror receives the file it named.
func appendPathEscaped(dst []byte, p string) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(p); i++ {
		c := p[i]
		if pathByte(c) {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&15])
	}
	return dst
}

// pathByte reports whether c may appear unescaped in a URL path: an
// unreserved or sub-delimiter character, ':', '@' or '/'.
func pathByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/", c) >= 0
}

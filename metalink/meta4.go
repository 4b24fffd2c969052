package metalink

import (
	"strconv"
	"sync"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// Metalink4Type is the content type of a Metalink 4 answer (RFC 5854).
const Metalink4Type = "application/metalink4+xml"

// A Metalink 4 answer carries the same selection as a Metalink 3.0 one, in
// RFC 5854's vocabulary: hash names from IANA's registry (sha-256, not
// sha256), priority instead of preference (1 is highest: priority = 101 −
// preference), the country as a lower-case location, the answer's time as
// <published>, and the sha-256 once more as a single piece hash so that a
// client fetching a corrupted copy moves on to the next mirror. Metalink 4
// has no alternates: only the current repomd's size
// and hashes are written, so a client whose mirror still serves an older
// repomd rejects it and moves on to the next URL; and it has no private
// flag, so mm0:private has no counterpart.

// meta4Cache holds a snapshot's rendered Metalink 4 parts.
type meta4Cache struct {
	once sync.Once
	// pieces are every mirror URL's <url> parts, by mirrorID.
	pieces [][]urlPiece
}

// appendMeta4Header appends the XML declaration, the root element and the
// document-wide elements.
func appendMeta4Header(dst []byte, now time.Time) []byte {
	dst = append(dst, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<metalink xmlns="urn:ietf:params:xml:ns:metalink">`+"\n"+
		" <generator>mirrormanager</generator>\n <published>"...)
	dst = now.UTC().AppendFormat(dst, "2006-01-02T15:04:05Z")
	return append(dst, "</published>\n"...)
}

// appendMeta4Failure appends a Metalink 4 error document: the root with the
// message in a comment and no <file>.
func appendMeta4Failure(dst []byte, now time.Time, msg string) []byte {
	dst = appendMeta4Header(dst, now)
	dst = append(dst, " <!-- "...)
	dst = appendCommentSafe(dst, msg)
	return append(dst, "\n -->\n</metalink>\n"...)
}

// meta4FilePart returns the directory's <file> opening, size and hashes,
// rendered once per snapshot.
func (v *dirView) meta4FilePart() []byte {
	v.meta4Once.Do(func() { v.meta4File = renderMeta4File("repomd.xml", &v.State.Current) })
	return v.meta4File
}

// renderMeta4File renders a <file> opening (nameXML escaped for XML), its
// size and hashes.
func renderMeta4File(nameXML string, r *store.Repomd) []byte {
	b := make([]byte, 0, 512)
	b = append(b, " <file name=\""...)
	b = append(b, nameXML...)
	b = append(b, "\">\n"...)
	if r.Size != 0 {
		b = append(b, "  <size>"...)
		b = strconv.AppendInt(b, r.Size, 10)
		b = append(b, "</size>\n"...)
	}
	for _, h := range [...]struct{ typ, val string }{{"md5", r.MD5}, {"sha-1", r.SHA1}, {"sha-256", r.SHA256}, {"sha-512", r.SHA512}} {
		if h.val != "" {
			b = append(b, "  <hash type=\""+h.typ+"\">"...)
			b = append(b, h.val...)
			b = append(b, "</hash>\n"...)
		}
	}
	// One piece covering the whole file: aria2 checks a whole-file hash only
	// at the end and then gives up, but re-fetches a failed piece from
	// another mirror.
	if r.Size != 0 && r.SHA256 != "" {
		b = append(b, "  <pieces length=\""...)
		b = strconv.AppendInt(b, r.Size, 10)
		b = append(b, "\" type=\"sha-256\">\n   <hash>"...)
		b = append(b, r.SHA256...)
		b = append(b, "</hash>\n  </pieces>\n"...)
	}
	return b
}

// appendMeta4 appends the Metalink 4 document for a scanned directory: the
// same URLs in the same order as appendMetalink, each with its mirror's
// priority.
func appendMeta4(dst []byte, snap *Snapshot, v *dirView, sel []mirrorID, protos []string, now time.Time) []byte {
	fb := v.floor4.forAnswer(v, snap.meta4Pieces, sel, protos)
	return appendMeta4Doc(dst, snap, v.meta4FilePart(), v.urlTail, fb, sel, protos, now)
}

// appendMeta4Doc appends a Metalink 4 document: the header, file (the
// <file> opening, size and hashes), then each URL: the mirror's base URL
// and tail (the path, escaped for XML, and the closing tag); fb, when not
// nil, holds the directory's floor blocks.
func appendMeta4Doc(dst []byte, snap *Snapshot, file []byte, tail string, fb *floorBlocks, sel []mirrorID, protos []string, now time.Time) []byte {
	dst = appendMeta4Header(dst, now)
	dst = append(dst, file...)
	f, _ := protocolFilter(snap, sel, protos)
	pieces := snap.meta4Pieces()
	if f.schemes == nil {
		dst = appendAllURLs(dst, pieces, fb, sel, priorityText[:], tail)
		return append(dst, " </file>\n</metalink>\n"...)
	}
	pref := 100
	for _, id := range sel {
		m := &snap.mirrors[id]
		n := 0
		for i := f.next(m, 0, 0); i >= 0; i = f.next(m, i+1, n) {
			p := &pieces[id][i]
			dst = append(dst, p.open...)
			dst = append(dst, priorityText[pref]...)
			dst = append(dst, p.mid...)
			dst = append(dst, tail...)
			n++
		}
		if n > 0 {
			pref = max(pref-1, 1)
		}
	}
	return append(dst, " </file>\n</metalink>\n"...)
}

// priorityText holds, by preference (0 to 100), the Metalink 4 priority
// that stands for it, 101 − preference, as text.
var priorityText = func() (t [101]string) {
	for i := range t {
		t[i] = strconv.Itoa(101 - i)
	}
	return t
}()

// meta4Pieces returns every mirror URL's Metalink 4 <url> parts, rendered
// once per snapshot.
func (s *Snapshot) meta4Pieces() [][]urlPiece {
	s.meta4.once.Do(func() {
		s.meta4.pieces = make([][]urlPiece, len(s.mirrors))
		for id := range s.mirrors {
			s.meta4.pieces[id] = meta4PiecesOf(&s.mirrors[id])
		}
	})
	return s.meta4.pieces
}

// meta4PiecesOf renders the Metalink 4 parts of every URL of m.
func meta4PiecesOf(m *mirror) []urlPiece {
	var out []urlPiece
	for _, u := range m.URLs {
		out = append(out, newPiece(`  <url location="`+lowerASCII(m.Country)+`" priority="`, `">`+u.BaseXML+"/", priorityText[1]))
	}
	return out
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

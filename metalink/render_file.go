package metalink

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// A file with recorded details (an ISO image, say) has a metalink of its
// own, in the layout of Fedora's mirrorlist-server for any file but
// repomd.xml: <file name> is the file's base name, then its mm0:timestamp
// (the file's time), size and <verification> with the hashes known (the
// sha256 of the CHECKSUM file), <resources maxconnections="1"> and one
// <url> per URL of each selected mirror, ending in the file's path, with
// the same preference and mm0:private rules as a repository's.
//
// One element is added to Fedora's layout unless Options.FedoraFileLayout
// asks for it exactly: <verification> ends with a <pieces> element of one
// piece, the whole file, whose hash is the file's sha256 (sha1 when that is
// all there is). With only a hash of the whole file, aria2 detects a
// corrupted copy at the end and gives up (exit 32); with a piece hash it
// marks the piece bad and fetches it from the next mirror. A repomd.xml's
// metalink, which dnf reads, is never changed.

// fileAnswer renders the metalink of a file, Metalink 3.0 or 4.
func fileAnswer(dst []byte, snap *Snapshot, f *fileView, sel *selector, protos []string, meta4, fedoraLayout bool, now time.Time) Response {
	if meta4 {
		return Response{Status: http.StatusOK, ContentType: Metalink4Type,
			Body: appendMeta4Doc(dst, snap, f.meta4Part(), f.urlTail, nil, sel.out, protos, now), FirstStep: sel.first}
	}
	return Response{Status: http.StatusOK, ContentType: MetalinkType,
		Body: appendMetalinkDoc(dst, snap, f.filesPart(!fedoraLayout), f.urlTail, nil, sel.out, protos, now), FirstStep: sel.first}
}

// filesPart returns the file's <files> part up to <resources>, with the
// one-piece <pieces> element or without it, rendered once per snapshot.
func (f *fileView) filesPart(pieces bool) []byte {
	if pieces {
		f.files3pOnce.Do(func() { f.files3p = renderFile3(f, true) })
		return f.files3p
	}
	f.files3Once.Do(func() { f.files3 = renderFile3(f, false) })
	return f.files3
}

// renderFile3 renders a file's <files> part up to <resources>.
func renderFile3(f *fileView, pieces bool) []byte {
	b := make([]byte, 0, 768)
	b = append(b, " <files>\n  <file name=\""...)
	b = append(b, f.Name...)
	b = append(b, "\">\n"...)
	b = appendDetails(b, &f.Details, "  ")
	if pieces {
		b = appendOnePiece(b, &f.Details)
	}
	return append(b, "   <resources maxconnections=\"1\">\n"...)
}

// maxPieceLength is the longest piece aria2 reads from a Metalink 3.0
// document (it parses the length as a 32-bit unsigned number and drops the
// element otherwise).
const maxPieceLength = 1<<32 - 1

// appendOnePiece inserts, before the closing </verification> that b ends
// with, a <pieces> element of one piece covering the whole file, when its
// size and a sha256 or sha1 are known and the size fits aria2's limit.
func appendOnePiece(b []byte, r *store.Repomd) []byte {
	typ, sum := "sha256", r.SHA256
	if sum == "" {
		typ, sum = "sha1", r.SHA1
	}
	const closing = "   </verification>\n"
	if sum == "" || r.Size <= 0 || r.Size > maxPieceLength || !bytes.HasSuffix(b, []byte(closing)) {
		return b
	}
	b = b[:len(b)-len(closing)]
	b = append(b, "    <pieces length=\""...)
	b = strconv.AppendInt(b, r.Size, 10)
	b = append(b, "\" type=\""...)
	b = append(b, typ...)
	b = append(b, "\">\n     <hash piece=\"0\">"...)
	b = append(b, sum...)
	b = append(b, "</hash>\n    </pieces>\n"...)
	return append(b, closing...)
}

// meta4Part returns the file's Metalink 4 <file> opening, size and hash,
// rendered once per snapshot.
func (f *fileView) meta4Part() []byte {
	f.files4Once.Do(func() { f.files4 = renderMeta4File(f.Name, &f.Details) })
	return f.files4
}

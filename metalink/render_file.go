package metalink

import (
	"net/http"
	"time"
)

// A file with recorded details (an ISO image, say) has a metalink of its
// own, in the layout of Fedora's mirrorlist-server for any file but
// repomd.xml: <file name> is the file's base name, then its mm0:timestamp
// (the file's time), size and <verification> with the hashes known (the
// sha256 of the CHECKSUM file), <resources maxconnections="1"> and one
// <url> per URL of each selected mirror, ending in the file's path, with
// the same preference and mm0:private rules as a repository's.

// fileAnswer renders the metalink of a file, Metalink 3.0 or 4.
func fileAnswer(dst []byte, snap *Snapshot, f *fileView, sel *selector, protos []string, meta4 bool, now time.Time) Response {
	if meta4 {
		return Response{Status: http.StatusOK, ContentType: Metalink4Type,
			Body: appendMeta4Doc(dst, snap, f.meta4Part(), f.URLPath, "</url>\n", sel.out, protos, now), FirstStep: sel.first}
	}
	return Response{Status: http.StatusOK, ContentType: MetalinkType,
		Body: appendMetalinkDoc(dst, snap, f.filesPart(), f.URLPath, "</url>\n", sel.out, protos, now), FirstStep: sel.first}
}

// filesPart returns the file's <files> part up to <resources>, rendered
// once per snapshot.
func (f *fileView) filesPart() []byte {
	f.files3Once.Do(func() {
		b := make([]byte, 0, 512)
		b = append(b, " <files>\n  <file name=\""...)
		b = append(b, f.Name...)
		b = append(b, "\">\n"...)
		b = appendDetails(b, &f.Details, "  ")
		f.files3 = append(b, "   <resources maxconnections=\"1\">\n"...)
	})
	return f.files3
}

// meta4Part returns the file's Metalink 4 <file> opening, size and hash,
// rendered once per snapshot.
func (f *fileView) meta4Part() []byte {
	f.files4Once.Do(func() { f.files4 = renderMeta4File(f.Name, &f.Details) })
	return f.files4
}

package metalink

import "slices"

// urlFilter is which of a mirror's URLs an answer lists, as Fedora's server
// trims them: the URLs, in the order the admin gave them, whose scheme is in
// schemes (nil: any), at most max of them (0: no limit). A mirror with none
// is left out of the answer and does not count for preference.
type urlFilter struct {
	schemes []string
	max     int
}

// The mirrorlist's default: one URL per mirror, the first of the admin's
// that is https, http or ftp (rsync is no use to dnf); the snapshot keeps
// its index per mirror (mirror.ListURL).
var mirrorlistDefault = urlFilter{schemes: []string{"https", "http", "ftp"}, max: 1}

// protocolFilter returns the filter protocol= asks for over a selection:
// each URL of those schemes, up to one per scheme asked for. When no
// selected mirror has any, the filter is dropped, as Fedora's server drops
// it, and every URL is listed; ok reports whether protocol= was given.
func protocolFilter(snap *Snapshot, sel []mirrorID, protos []string) (f urlFilter, ok bool) {
	if protos == nil {
		return urlFilter{}, false
	}
	if !anyHasProtocol(snap, sel, protos) {
		return urlFilter{}, true
	}
	return urlFilter{schemes: protos, max: len(protos)}, true
}

// next returns the index of the first URL of m at or after i that the
// filter keeps, given that n were kept before, or -1.
func (f *urlFilter) next(m *mirror, i, n int) int {
	if f.schemes == nil { // every URL: the common case, kept inlinable
		if i < len(m.URLs) {
			return i
		}
		return -1
	}
	return f.match(m, i, n)
}

// match is next for a filter with schemes; kept out of line so that next
// inlines.
//
//go:noinline
func (f *urlFilter) match(m *mirror, i, n int) int {
	if f.max > 0 && n >= f.max {
		return -1
	}
	for ; i < len(m.URLs); i++ {
		if f.schemes == nil || slices.Contains(f.schemes, m.URLs[i].Scheme) {
			return i
		}
	}
	return -1
}

func anyHasProtocol(snap *Snapshot, sel []mirrorID, protos []string) bool {
	for _, id := range sel {
		if hasProtocol(&snap.mirrors[id], protos) {
			return true
		}
	}
	return false
}

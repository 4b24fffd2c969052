package metalink

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Response is a complete answer, ready to write.
type Response struct {
	Status      int
	ContentType string
	Body        []byte
	// Location is set for a redirect.
	Location string
	// Shared says that Body is an answer given to other clients too (see
	// Options.Reuse): it may be read, never changed or recycled.
	Shared bool
	// ContentLength, when set, is Body's length as the value of a
	// Content-Length header, made once for a shared Body; read only.
	ContentLength []string
	// FirstStep is the selection step that listed the first mirror, or
	// StepNone when none was listed (or the request failed).
	FirstStep Step
}

// Options tune an answer.
type Options struct {
	Minimum int
	Rand    Rand
	Now     time.Time
	// VerifyLocation honours location= only from addresses inside that
	// location's cloud ranges.
	VerifyLocation bool
	// Meta4 asks for a Metalink 4 answer (RFC 5854) instead of Metalink
	// 3.0, as the server negotiated it; meta4=1 in the query does too.
	Meta4 bool
	// MaxBandwidth caps a mirror's declared bandwidth (Mbit/s) in the
	// selection weights; 0 means DefaultMaxBandwidth.
	MaxBandwidth int
	// MountPrefix is where the master tree appears on Fedora's servers
	// (pub/fedora/linux, without slashes): a path= is looked up as given
	// and, when that fails, with the prefix taken off or put on.
	MountPrefix string
	// FedoraFileLayout writes a file's Metalink 3.0 answer exactly as
	// Fedora's server does, without the one-piece <pieces> element that
	// lets aria2 reject a corrupted copy and fetch the file from the next
	// mirror (see fileView.filesPart).
	FedoraFileLayout bool
	// Reuse is how many clients one drawn metalink may be given to, within
	// the second it was drawn, when their answer depends on their country
	// and address family alone (see reuse.go); 0 or 1 draws each afresh.
	Reuse int
}

// Answer computes the response to a /metalink (metalink=true) or /mirrorlist
// request; dst is a buffer the body may be appended to.
func Answer(dst []byte, snap *Snapshot, q *Query, isMetalink bool, c Client, o Options) Response {
	meta4 := isMetalink && (o.Meta4 || q.Meta4)
	if !(q.HasRepo && q.HasArch) && !q.HasPath {
		return failure4(dst, isMetalink, meta4, http.StatusOK, "# either path=, or repo= and arch= must be specified", o.Now)
	}
	// Bad input gets the same kind of answer as missing input; the value
	// itself is not echoed.
	if p := q.Invalid(); p != "" {
		return failure4(dst, isMetalink, meta4, http.StatusOK, "# invalid value of "+p+"=", o.Now)
	}
	if q.InvalidIPV() {
		return failure4(dst, isMetalink, meta4, http.StatusOK, "# invalid value of ipv=", o.Now)
	}
	t, fail, ok := resolve(snap, q, isMetalink, o.MountPrefix)
	if !ok {
		return failure4(dst, isMetalink, meta4, fail.Status, fail.msg, o.Now)
	}
	if isMetalink && t.file == nil && t.dir.State == nil {
		return failure4(dst, true, meta4, http.StatusNotFound, t.dir.Path+repomdSuffix+" not found or has not metalink", o.Now)
	}
	sel := selectorPool.Get().(*selector)
	defer selectorPool.Put(sel)
	sel.begin(snap, t.dir, q, c, o)
	if isMetalink && t.file == nil && o.Reuse > 1 && sel.addressFree() {
		return reusedAnswer(dst, snap, t.dir, sel, meta4, o)
	}
	sel.finish(o.Minimum)
	// The protocol= list begin parsed, nil when the query has none.
	protos := sel.protos
	if isMetalink && t.file != nil {
		return fileAnswer(dst, snap, t.file, sel, protos, meta4, o.FedoraFileLayout, o.Now)
	}
	if isMetalink {
		return dirMetalink(dst, snap, t.dir, sel, protos, meta4, o.Now)
	}
	if q.Redirect {
		u := redirectURL(snap, t.dir.Path, t.sub, t.isDir, sel.out, protos)
		if u == "" {
			return Response{Status: http.StatusNotFound, ContentType: MirrorlistType, Body: dst}
		}
		return Response{Status: http.StatusFound, ContentType: MirrorlistType, Body: dst, Location: u, FirstStep: sel.first}
	}
	dst = t.appendHeader(dst)
	dst = append(dst, sel.header...)
	if q.Time {
		dst = append(dst, "\n# database creation time: "...)
		dst = strconv.AppendInt(dst, snap.Built.Unix(), 10)
	}
	dst = append(dst, '\n')
	dst = appendMirrorlist(dst, snap, t.dir.Path, t.sub, t.isDir, sel.out, protos)
	return Response{Status: http.StatusOK, ContentType: MirrorlistType, Body: dst, FirstStep: sel.first}
}

// dirMetalink renders a directory's metalink, in Metalink 4 when meta4,
// listing sel's selection.
func dirMetalink(dst []byte, snap *Snapshot, dir *dirView, sel *selector, protos []string, meta4 bool, now time.Time) Response {
	if meta4 {
		return Response{Status: http.StatusOK, ContentType: Metalink4Type,
			Body: appendMeta4(dst, snap, dir, sel.out, protos, now), FirstStep: sel.first}
	}
	return Response{Status: http.StatusOK, ContentType: MetalinkType,
		Body: appendMetalink(dst, snap, dir, sel.out, protos, now), FirstStep: sel.first}
}

// reusedAnswer gives a directory's metalink from snap's reusable answers
// when one drawn for the same kind of client this second has served fewer
// than o.Reuse clients; otherwise it finishes sel's selection, renders the
// answer, and keeps it for the next clients.
func reusedAnswer(dst []byte, snap *Snapshot, dir *dirView, sel *selector, meta4 bool, o Options) Response {
	k := reuseKey{dir: dir, country: sel.country, family: sel.family, meta4: meta4, minimum: o.Minimum, maxBW: sel.maxBW}
	sec := o.Now.Unix()
	t := snap.reuseTable()
	if e := t.get(&k, sec, o.Reuse); e != nil {
		r := Response{Status: http.StatusOK, ContentType: MetalinkType, Body: e.body, FirstStep: e.first, Shared: true,
			ContentLength: e.length}
		if meta4 {
			r.ContentType = Metalink4Type
		}
		return r
	}
	sel.finish(o.Minimum)
	r := dirMetalink(dst, snap, dir, sel, nil, meta4, o.Now)
	t.put(&k, sec, r.FirstStep, r.Body)
	return r
}

// Failure renders an error answer: a metalink failure document or the
// message as plain text.
func Failure(dst []byte, isMetalink bool, status int, msg string, now time.Time) Response {
	if isMetalink {
		return Response{Status: status, ContentType: MetalinkType, Body: appendFailure(dst, now, msg)}
	}
	return Response{Status: status, ContentType: MirrorlistType, Body: append(dst, msg...)}
}

// Meta4Failure renders an error answer as a Metalink 4 document.
func Meta4Failure(dst []byte, status int, msg string, now time.Time) Response {
	return Response{Status: status, ContentType: Metalink4Type, Body: appendMeta4Failure(dst, now, msg)}
}

// failure4 renders an error answer in the negotiated format.
func failure4(dst []byte, isMetalink, meta4 bool, status int, msg string, now time.Time) Response {
	if meta4 {
		return Meta4Failure(dst, status, msg, now)
	}
	return Failure(dst, isMetalink, status, msg, now)
}

// target is what a request resolved to.
type target struct {
	dir   *dirView
	sub   string // below dir, for path= requests
	isDir bool
	// repo and arch, or path (byPath), name what was asked for in a
	// mirrorlist's first line (see appendHeader).
	repo, arch, path string
	byPath           bool
	// file is the file path= names, when its details are recorded.
	file *fileView
}

type failure struct {
	Status int
	msg    string
}

func resolve(snap *Snapshot, q *Query, isMetalink bool, mount string) (target, failure, bool) {
	if q.HasPath {
		return resolvePath(snap, q.Path, isMetalink, mount)
	}
	arch := q.Arch
	if strings.Contains(q.Repo, "source") {
		arch = "source"
	}
	repo := snap.redirect(q.Repo)
	r := snap.repo(repo, arch)
	if r == nil {
		const text = "error: invalid repo or arch\n# following repositories are available:\n"
		msg := (&target{repo: repo, arch: arch}).appendHeader(make([]byte, 0, 64+len(repo)+len(arch)+len(text)+len(snap.repoList)))
		msg = append(append(msg, text...), snap.repoList...)
		return target{}, failure{http.StatusNotFound, string(msg)}, false
	}
	if r.Disabled {
		return target{}, failure{http.StatusOK, "repo disabled"}, false
	}
	return target{dir: snap.current(r.Dir), isDir: true, repo: repo, arch: arch}, failure{}, true
}

// appendHeader appends the start of a mirrorlist's first line, as in
// "# repo = fedora-41 arch = x86_64 " or "# path = pub/fedora/linux/… ".
func (t *target) appendHeader(dst []byte) []byte {
	if t.byPath {
		dst = append(dst, "# path = "...)
		dst = append(dst, t.path...)
		return append(dst, ' ')
	}
	dst = append(dst, "# repo = "...)
	dst = append(dst, printable(t.repo)...)
	dst = append(dst, " arch = "...)
	dst = append(dst, printable(t.arch)...)
	return append(dst, ' ')
}

// resolvePath maps path= to the directory that answers for it: a
// repository directory containing it, or the group of a directory of the
// recorded tree (see tree.go), trying the path as given and then with the
// mount prefix taken off or put on. A metalink exists for a directory's
// repomd.xml and for a file with recorded details.
func resolvePath(snap *Snapshot, raw string, isMetalink bool, mount string) (target, failure, bool) {
	trailing := strings.HasSuffix(raw, "/")
	p := cleanPath(raw)
	if p != printable(p) || slices.Contains(strings.Split(p, "/"), "..") {
		return target{}, failure{http.StatusNotFound, "error: invalid path"}, false
	}
	t, ok := resolveIn(snap, p, trailing)
	if !ok && mount != "" {
		if rest, cut := strings.CutPrefix(p, mount+"/"); cut {
			t, ok = resolveIn(snap, rest, trailing)
		} else if p != mount {
			t, ok = resolveIn(snap, mount+"/"+p, trailing)
		}
	}
	if !ok {
		return target{}, failure{http.StatusNotFound, "error: invalid path"}, false
	}
	t.path, t.byPath = p, true
	if !isMetalink || t.file != nil {
		return t, failure{}, true
	}
	if t.dir.group != nil || (t.sub != "" && t.sub != "repodata" && t.sub != "repodata/repomd.xml") {
		return target{}, failure{http.StatusNotFound, p + " not found or has not metalink"}, false
	}
	t.sub, t.isDir = "", true
	return t, failure{}, true
}

// resolveIn resolves a clean path in the form the store keeps: a
// repository directory or a directory of the tree, else (as a file or a
// directory below it) the deepest repository directory containing it, else
// a file directly in a directory of the tree.
func resolveIn(snap *Snapshot, p string, trailing bool) (target, bool) {
	if v := snap.dir(p); v != nil {
		return target{dir: v, isDir: true}, true
	}
	if v := snap.group(p); v != nil {
		return target{dir: v.ready(), sub: subOf(p, v.Path), isDir: true}, true
	}
	dirPath, sub := p, ""
	for {
		i := strings.LastIndexByte(dirPath, '/')
		if i < 0 {
			break
		}
		if sub == "" {
			sub = dirPath[i+1:]
		} else {
			sub = dirPath[i+1:] + "/" + sub
		}
		dirPath = dirPath[:i]
		if v := snap.dir(dirPath); v != nil {
			return target{dir: v, sub: sub, isDir: trailing || sub == "repodata", file: snap.files[p]}, true
		}
	}
	if trailing {
		return target{}, false
	}
	if v := snap.group(parentDir(p)); v != nil {
		return target{dir: v.ready(), sub: subOf(p, v.Path), file: snap.files[p]}, true
	}
	return target{}, false
}

// printable replaces control characters and invalid UTF-8 so that an echoed
// value cannot add lines to a mirrorlist or break the XML of a failure document.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}

// cleanPath trims slashes and collapses repeated ones, as MirrorManager does.
func cleanPath(p string) string {
	p = strings.Trim(p, "/")
	for strings.Contains(p, "//") {
		p = strings.ReplaceAll(p, "//", "/")
	}
	return p
}

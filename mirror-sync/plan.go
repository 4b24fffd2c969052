package mirrorsync

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// plan is what one directory needs in one bucket, in the order it must happen.
type plan struct {
	Directory string
	// Withdraw deletes the live repomd.xml (and its signature) before any
	// upload, because an upload replaces a file that repomd references with
	// different content: no repomd is better than one that lies.
	Withdraw []string
	// StaleSignature deletes the live repomd.xml.asc before a new
	// repomd.xml goes up, when the new one comes with another signature or
	// none: a signature beside the wrong repomd fails repo_gpgcheck, while a
	// missing one only until the signature follows.
	StaleSignature []string
	// Uploads are ordered packages, metadata, repomd.xml, signature.
	Uploads      []file
	UploadBytes  int64
	Overwrites   int
	Skipped      int
	SkippedBytes int64
}

// phases splits the uploads by kind; each phase must finish before the next.
func (p *plan) phases() [][]file {
	var phases [][]file
	for start := 0; start < len(p.Uploads); {
		end := start
		for end < len(p.Uploads) && p.Uploads[end].Kind == p.Uploads[start].Kind {
			end++
		}
		phases = append(phases, p.Uploads[start:end])
		start = end
	}
	return phases
}

// unverified returns the listed objects that stand for a manifest file with
// the right size but whose checksums the state does not vouch for: their
// metadata must be read (HEAD) before planning.
func unverified(m *manifest, listed map[string]object, st *state) []object {
	var out []object
	for _, f := range m.Files {
		o, ok := listed[f.Path]
		if !ok || (f.Size >= 0 && o.Size != f.Size) {
			continue
		}
		if _, known := st.known(o); !known {
			out = append(out, o)
		}
	}
	return out
}

// makePlan diffs a manifest against a bucket listing and the state: a file is
// skipped only when an object of the same size carries the same checksum.
func makePlan(m *manifest, listed map[string]object, st *state) *plan {
	p := &plan{Directory: m.Directory}
	var overwritten []string
	for _, f := range m.Files {
		o, ok := listed[f.Path]
		if ok && matches(f, o, st) {
			p.Skipped++
			p.SkippedBytes += o.Size
			continue
		}
		if ok && f.Kind < kindRepomd {
			overwritten = append(overwritten, f.Path)
		}
		if ok {
			p.Overwrites++
		}
		p.Uploads = append(p.Uploads, f)
		p.UploadBytes += max(f.Size, 0)
	}
	repomd := repomdPath(m.Directory)
	if _, live := listed[repomd]; live && len(overwritten) > 0 && liveReferencesAny(repomd, listed, st, overwritten) {
		p.Withdraw = []string{repomd}
		if _, ok := listed[repomd+".asc"]; ok {
			p.Withdraw = append(p.Withdraw, repomd+".asc")
		}
		// The withdrawn files come back with the new repomd.
		p.Uploads = withRepomd(p.Uploads, m)
	}
	p.StaleSignature = staleSignature(m, p, listed)
	return p
}

// staleSignature returns the live signature to delete before the repomd
// phase: when a new repomd.xml is uploaded and the listed signature is not
// the one that comes with it (or none comes).
func staleSignature(m *manifest, p *plan, listed map[string]object) []string {
	asc := repomdPath(m.Directory) + ".asc"
	if _, ok := listed[asc]; !ok || slices.Contains(p.Withdraw, asc) {
		return nil
	}
	newRepomd, newAsc, signed := false, false, false
	for _, f := range p.Uploads {
		newRepomd = newRepomd || f.Kind == kindRepomd
		newAsc = newAsc || f.Kind == kindSignature
	}
	for _, f := range m.Files {
		signed = signed || f.Kind == kindSignature
	}
	if newRepomd && (newAsc || !signed) {
		return []string{asc}
	}
	return nil
}

// matches reports whether the listed object o holds file f.
func matches(f file, o object, st *state) bool {
	if f.Size >= 0 && o.Size != f.Size {
		return false
	}
	sums, ok := st.known(o)
	return ok && sums[f.Sum.Type] == f.Sum.Value
}

// liveReferencesAny reports whether the bucket's live repomd may reference one
// of paths. Without a state that vouches for the live repomd, assume it does.
func liveReferencesAny(repomd string, listed map[string]object, st *state, paths []string) bool {
	v, ok := st.live()
	sums, known := st.known(listed[repomd])
	if !ok || !known || sums["sha256"] != v.SHA256 {
		return true
	}
	refs := make(map[string]bool, len(v.Files))
	for _, f := range v.Files {
		refs[f] = true
	}
	for _, p := range paths {
		if refs[p] {
			return true
		}
	}
	return false
}

// withRepomd makes sure the repomd.xml and signature of m are among uploads.
func withRepomd(uploads []file, m *manifest) []file {
	have := map[string]bool{}
	for _, f := range uploads {
		have[f.Path] = true
	}
	for _, f := range m.Files {
		if f.Kind >= kindRepomd && !have[f.Path] {
			uploads = append(uploads, f)
		}
	}
	sort.SliceStable(uploads, func(i, j int) bool { return uploads[i].Kind < uploads[j].Kind })
	return uploads
}

// collectable returns the objects of a directory that no retained version
// references: those named only by versions superseded more than grace ago,
// and strays no version names once both they and the state are older than
// grace. nested lists other synced directories inside this one, whose
// objects are theirs to collect.
func collectable(m *manifest, listed map[string]object, nested []string, st *state, now time.Time, grace time.Duration) []string {
	named := map[string]bool{}
	for _, v := range st.Versions {
		for _, f := range v.Files {
			named[f] = true
		}
	}
	keep := st.retained(now, grace)
	for _, f := range m.Files {
		keep[f.Path] = true
	}
	var out []string
	for p, o := range listed {
		if keep[p] || isStatePath(p) || inAny(p, nested) {
			continue
		}
		if named[p] || (now.Sub(o.Modified) >= grace && now.Sub(st.Created) >= grace) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func inAny(p string, dirs []string) bool {
	for _, d := range dirs {
		if strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

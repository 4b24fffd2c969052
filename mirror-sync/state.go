package mirrorsync

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// stateDir is the tree path under which each directory's sync state lives,
// outside every repository directory so that no client listing shows it.
const stateDir = ".mirror-sync/state"

// state is what the sync knows about one directory in one bucket. It is a
// cache checked against the listing: an object's recorded checksums count
// only while its size and ETag are still the listed ones; otherwise the
// object's own metadata (HEAD) is the truth.
type state struct {
	Directory string `json:"directory"`
	// Created bounds the collection of objects no recorded version names:
	// they are collected only once the state is older than the grace period.
	Created  time.Time              `json:"created"`
	Objects  map[string]objectState `json:"objects"`
	Versions []version              `json:"versions"` // newest first
	// Reported is the repomd sha256 the server last accepted for this mirror.
	Reported string `json:"reported,omitempty"`

	dirty bool
}

// objectState records an object as uploaded or verified.
type objectState struct {
	Size int64             `json:"size"`
	ETag string            `json:"etag"`
	Sums map[string]string `json:"sums"`
}

// version is one repomd.xml the bucket has served for the directory and the
// tree paths it references.
type version struct {
	SHA256     string    `json:"sha256"`
	Published  time.Time `json:"published"`
	Superseded time.Time `json:"superseded,omitzero"`
	Files      []string  `json:"files"`
}

// statePath is the tree path of a directory's state object.
func statePath(dir string) string { return path.Join(stateDir, dir) + ".json.gz" }

// newState returns the empty state of a directory first seen at now.
func newState(dir string, now time.Time) *state {
	return &state{Directory: dir, Created: now, Objects: map[string]objectState{}, dirty: true}
}

// loadState reads a directory's state; a missing one is a new empty state.
func loadState(ctx context.Context, b *bucket, dir string, now time.Time) (*state, error) {
	raw, err := b.get(ctx, statePath(dir))
	if errors.Is(err, ErrNotFound) {
		return newState(dir, now), nil
	}
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", dir, err)
	}
	var s state
	if err := json.NewDecoder(zr).Decode(&s); err != nil {
		// A damaged cache costs HEAD requests, not correctness.
		return newState(dir, now), nil
	}
	if s.Objects == nil {
		s.Objects = map[string]objectState{}
	}
	return &s, nil
}

// setReported notes that the server accepted sha256 for this mirror.
func (s *state) setReported(sha256 string) {
	if s.Reported != sha256 {
		s.Reported = sha256
		s.dirty = true
	}
}

// save writes the state if it changed since it was loaded or last saved, so
// that a run with nothing to do writes nothing.
func (s *state) save(ctx context.Context, b *bucket) error {
	if !s.dirty {
		return nil
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(s); err != nil {
		return fmt.Errorf("state %s: %w", s.Directory, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("state %s: %w", s.Directory, err)
	}
	if _, err := b.putBytes(ctx, statePath(s.Directory), buf.Bytes(), "application/gzip"); err != nil {
		return err
	}
	s.dirty = false
	return nil
}

// known returns the checksums of a listed object when the state recorded it
// with the same size and ETag.
func (s *state) known(o object) (map[string]string, bool) {
	st, ok := s.Objects[o.Path]
	if !ok || st.Size != o.Size || st.ETag != o.ETag || o.ETag == "" {
		return nil, false
	}
	return st.Sums, true
}

// record notes an object's checksums as uploaded or verified.
func (s *state) record(p string, size int64, etag string, sums map[string]string) {
	s.Objects[p] = objectState{Size: size, ETag: etag, Sums: sums}
	s.dirty = true
}

// live returns the newest published version, if any.
func (s *state) live() (version, bool) {
	if len(s.Versions) == 0 {
		return version{}, false
	}
	return s.Versions[0], true
}

// publish records m's repomd as the live version at now, superseding the
// previous one.
func (s *state) publish(m *manifest, now time.Time) {
	if v, ok := s.live(); ok && v.SHA256 == m.RepomdSHA256 {
		return
	}
	if len(s.Versions) > 0 && s.Versions[0].Superseded.IsZero() {
		s.Versions[0].Superseded = now
	}
	files := make([]string, len(m.Files))
	for i, f := range m.Files {
		files[i] = f.Path
	}
	s.Versions = append([]version{{SHA256: m.RepomdSHA256, Published: now, Files: files}}, s.Versions...)
	s.dirty = true
}

// retained returns the tree paths still referenced by the live version or by
// one superseded less than grace ago, and expires the older versions.
func (s *state) retained(now time.Time, grace time.Duration) map[string]bool {
	keep := map[string]bool{}
	var kept []version
	for i, v := range s.Versions {
		if i > 0 && now.Sub(v.Superseded) >= grace {
			continue
		}
		kept = append(kept, v)
		for _, f := range v.Files {
			keep[f] = true
		}
	}
	if len(kept) != len(s.Versions) {
		s.dirty = true
	}
	s.Versions = kept
	return keep
}

// forget drops objects the state records that are no longer in the listing.
func (s *state) forget(listed map[string]object) {
	for p := range s.Objects {
		if _, ok := listed[p]; !ok {
			delete(s.Objects, p)
			s.dirty = true
		}
	}
}

// isStatePath reports whether a tree path belongs to the sync's own state.
func isStatePath(p string) bool { return strings.HasPrefix(p, stateDir+"/") }

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

// StateDir is the tree path under which each directory's sync state lives,
// outside every repository directory so that no client listing shows it.
const StateDir = ".mirror-sync/state"

// State is what the sync knows about one directory in one bucket. It is a
// cache checked against the listing: an object's recorded checksums count
// only while its size and ETag are still the listed ones; otherwise the
// object's own metadata (HEAD) is the truth.
type State struct {
	Directory string `json:"directory"`
	// Created bounds the collection of objects no recorded version names:
	// they are collected only once the state is older than the grace period.
	Created  time.Time              `json:"created"`
	Objects  map[string]ObjectState `json:"objects"`
	Versions []Version              `json:"versions"` // newest first
	// Reported is the repomd sha256 the server last accepted for this mirror.
	Reported string `json:"reported,omitempty"`

	dirty bool
}

// ObjectState records an object as uploaded or verified.
type ObjectState struct {
	Size int64             `json:"size"`
	ETag string            `json:"etag"`
	Sums map[string]string `json:"sums"`
}

// Version is one repomd.xml the bucket has served for the directory and the
// tree paths it references.
type Version struct {
	SHA256     string    `json:"sha256"`
	Published  time.Time `json:"published"`
	Superseded time.Time `json:"superseded,omitzero"`
	Files      []string  `json:"files"`
}

// StatePath is the tree path of a directory's state object.
func StatePath(dir string) string { return path.Join(StateDir, dir) + ".json.gz" }

// NewState returns the empty state of a directory first seen at now.
func NewState(dir string, now time.Time) *State {
	return &State{Directory: dir, Created: now, Objects: map[string]ObjectState{}, dirty: true}
}

// LoadState reads a directory's state; a missing one is a new empty state.
func LoadState(ctx context.Context, b *Bucket, dir string, now time.Time) (*State, error) {
	raw, err := b.Get(ctx, StatePath(dir))
	if errors.Is(err, ErrNotFound) {
		return NewState(dir, now), nil
	}
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", dir, err)
	}
	var s State
	if err := json.NewDecoder(zr).Decode(&s); err != nil {
		// A damaged cache costs HEAD requests, not correctness.
		return NewState(dir, now), nil
	}
	if s.Objects == nil {
		s.Objects = map[string]ObjectState{}
	}
	return &s, nil
}

// SetReported notes that the server accepted sha256 for this mirror.
func (s *State) SetReported(sha256 string) {
	if s.Reported != sha256 {
		s.Reported = sha256
		s.dirty = true
	}
}

// Save writes the state if it changed since it was loaded or last saved, so
// that a run with nothing to do writes nothing.
func (s *State) Save(ctx context.Context, b *Bucket) error {
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
	if _, err := b.PutBytes(ctx, StatePath(s.Directory), buf.Bytes(), "application/gzip"); err != nil {
		return err
	}
	s.dirty = false
	return nil
}

// Known returns the checksums of a listed object when the state recorded it
// with the same size and ETag.
func (s *State) Known(o Object) (map[string]string, bool) {
	st, ok := s.Objects[o.Path]
	if !ok || st.Size != o.Size || st.ETag != o.ETag || o.ETag == "" {
		return nil, false
	}
	return st.Sums, true
}

// Record notes an object's checksums as uploaded or verified.
func (s *State) Record(p string, size int64, etag string, sums map[string]string) {
	s.Objects[p] = ObjectState{Size: size, ETag: etag, Sums: sums}
	s.dirty = true
}

// Live returns the newest published version, if any.
func (s *State) Live() (Version, bool) {
	if len(s.Versions) == 0 {
		return Version{}, false
	}
	return s.Versions[0], true
}

// Publish records m's repomd as the live version at now, superseding the
// previous one.
func (s *State) Publish(m *Manifest, now time.Time) {
	if v, ok := s.Live(); ok && v.SHA256 == m.RepomdSHA256 {
		return
	}
	if len(s.Versions) > 0 && s.Versions[0].Superseded.IsZero() {
		s.Versions[0].Superseded = now
	}
	files := make([]string, len(m.Files))
	for i, f := range m.Files {
		files[i] = f.Path
	}
	s.Versions = append([]Version{{SHA256: m.RepomdSHA256, Published: now, Files: files}}, s.Versions...)
	s.dirty = true
}

// Retained returns the tree paths still referenced by the live version or by
// one superseded less than grace ago, and expires the older versions.
func (s *State) Retained(now time.Time, grace time.Duration) map[string]bool {
	keep := map[string]bool{}
	var kept []Version
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

// Forget drops objects the state records that are no longer in the listing.
func (s *State) Forget(listed map[string]Object) {
	for p := range s.Objects {
		if _, ok := listed[p]; !ok {
			delete(s.Objects, p)
			s.dirty = true
		}
	}
}

// isStatePath reports whether a tree path belongs to the sync's own state.
func isStatePath(p string) bool { return strings.HasPrefix(p, StateDir+"/") }

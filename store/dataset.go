package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Clone returns a deep copy of d.
func (d *Dataset) Clone() *Dataset {
	b, err := json.Marshal(d)
	if err != nil {
		panic(fmt.Sprintf("store: dataset does not marshal: %v", err))
	}
	var c Dataset
	if err := json.Unmarshal(b, &c); err != nil {
		panic(fmt.Sprintf("store: dataset does not unmarshal: %v", err))
	}
	return &c
}

// Normalize puts d in canonical form: upper-case countries, base URLs
// without a trailing slash, netblocks in CIDR form, and a stable order.
func (d *Dataset) Normalize() {
	for i := range d.Mirrors {
		NormalizeMirror(&d.Mirrors[i])
	}
	slices.SortFunc(d.Mirrors, func(a, b Mirror) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(d.Locations, func(a, b Location) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(d.Repositories, func(a, b Repository) int {
		if c := strings.Compare(a.Prefix, b.Prefix); c != 0 {
			return c
		}
		return strings.Compare(a.Arch, b.Arch)
	})
	slices.SortFunc(d.Redirects, func(a, b Redirect) int { return strings.Compare(a.From, b.From) })
	slices.SortFunc(d.Directories, func(a, b Directory) int { return strings.Compare(a.Path, b.Path) })
	d.normalizeTree()
	for i := range d.CloudRanges {
		if p, err := ParseNetblock(d.CloudRanges[i].Prefix); err == nil {
			d.CloudRanges[i].Prefix = p.String()
		}
	}
	slices.SortFunc(d.CloudRanges, func(a, b CloudRange) int {
		if c := strings.Compare(a.Provider, b.Provider); c != 0 {
			return c
		}
		if c := strings.Compare(a.Region, b.Region); c != 0 {
			return c
		}
		return strings.Compare(a.Prefix, b.Prefix)
	})
	NormalizeOverrides(d.NetblockCountries, d.CountryContinents)
	slices.SortFunc(d.CloudSources, func(a, b CloudSource) int { return strings.Compare(a.Provider, b.Provider) })
	for i := range d.Freshness {
		if d.Freshness[i].Source == SourceReport {
			d.Freshness[i].Source = ""
		}
	}
	slices.SortFunc(d.Freshness, func(a, b Freshness) int {
		if c := strings.Compare(a.Mirror, b.Mirror); c != 0 {
			return c
		}
		return strings.Compare(a.Directory, b.Directory)
	})
	slices.SortFunc(d.Health, func(a, b MirrorHealth) int { return strings.Compare(a.Mirror, b.Mirror) })
	for i := range d.Health {
		d.Health[i].normalize()
	}
}

// NormalizeMirror puts one mirror in canonical form.
func NormalizeMirror(m *Mirror) {
	m.Country = strings.ToUpper(m.Country)
	for i, u := range m.URLs {
		m.URLs[i] = strings.TrimRight(u, "/")
	}
	for i, nb := range m.Netblocks {
		if p, err := ParseNetblock(nb); err == nil {
			m.Netblocks[i] = p.String()
		}
	}
	for i, c := range m.CountriesAllowed {
		m.CountriesAllowed[i] = strings.ToUpper(c)
	}
	if len(m.CountriesAllowed) == 0 {
		m.CountriesAllowed = nil
	}
	normalizeFamily(&m.IPv4)
	normalizeFamily(&m.IPv6)
}

// LocationNames returns the set of declared location names.
func (d *Dataset) LocationNames() map[string]bool {
	names := make(map[string]bool, len(d.Locations))
	for _, l := range d.Locations {
		names[l.Name] = true
	}
	return names
}

func (d *Dataset) mirrorIndex(name string) int {
	return slices.IndexFunc(d.Mirrors, func(m Mirror) bool { return m.Name == name })
}

func (d *Dataset) directoryIndex(path string) int {
	return slices.IndexFunc(d.Directories, func(x Directory) bool { return x.Path == path })
}

// ApplyImport replaces d's declarative part with decl's, keeping scanned
// directories and the freshness of mirrors that remain. Repositories the
// scan rules derive from scanned directories stay unless decl declares
// the same prefix and arch (to disable one, declare it disabled).
func (d *Dataset) ApplyImport(decl *Dataset) {
	d.Mirrors = decl.Mirrors
	d.Locations = decl.Locations
	d.Repositories = decl.Repositories
	d.Redirects = decl.Redirects
	d.ScanRules = decl.ScanRules
	d.NetblockCountries = decl.NetblockCountries
	d.CountryContinents = decl.CountryContinents
	d.Repositories = append(d.Repositories, d.ScannedRepositories()...)
	d.Freshness = slices.DeleteFunc(d.Freshness, func(f Freshness) bool { return d.mirrorIndex(f.Mirror) < 0 })
	d.Health = slices.DeleteFunc(d.Health, func(h MirrorHealth) bool { return d.mirrorIndex(h.Mirror) < 0 })
}

// ScannedRepositories returns the repositories the scan rules map scanned
// directories to that d does not declare yet.
func (d *Dataset) ScannedRepositories() []Repository {
	mapper := NewMapper(d.ScanRules)
	have := map[[2]string]bool{}
	for _, r := range d.Repositories {
		have[[2]string{r.Prefix, r.Arch}] = true
	}
	var out []Repository
	for _, dir := range d.Directories {
		repo, arch, ok := mapper.Map(dir.Path)
		if key := [2]string{repo, arch}; ok && !have[key] {
			have[key] = true
			out = append(out, Repository{Prefix: repo, Arch: arch, Directory: dir.Path})
		}
	}
	return out
}

// putMirror creates or replaces a mirror.
func (d *Dataset) putMirror(m Mirror) {
	m.URLs, m.Netblocks, m.Locations = slices.Clone(m.URLs), slices.Clone(m.Netblocks), slices.Clone(m.Locations)
	NormalizeMirror(&m)
	if i := d.mirrorIndex(m.Name); i >= 0 {
		d.Mirrors[i] = m
		return
	}
	d.Mirrors = append(d.Mirrors, m)
}

// ApplyCreateMirror adds a mirror; ErrConflict when the name is taken.
func (d *Dataset) ApplyCreateMirror(m Mirror) error {
	if d.mirrorIndex(m.Name) >= 0 {
		return fmt.Errorf("mirror %q already exists: %w", m.Name, ErrConflict)
	}
	d.putMirror(m)
	return nil
}

// ApplyUpdateMirror changes the named mirror with change and returns the
// result; a change may not rename the mirror.
func (d *Dataset) ApplyUpdateMirror(name string, change func(*Mirror) error) (Mirror, error) {
	i := d.mirrorIndex(name)
	if i < 0 {
		return Mirror{}, fmt.Errorf("mirror %q: %w", name, ErrNotFound)
	}
	m := d.Mirrors[i]
	m.URLs, m.Netblocks, m.Locations = slices.Clone(m.URLs), slices.Clone(m.Netblocks), slices.Clone(m.Locations)
	if err := change(&m); err != nil {
		return Mirror{}, err
	}
	if m.Name != name {
		return Mirror{}, &ValidationError{Fields: []FieldError{{Field: "name", Entry: name, Msg: "a mirror cannot be renamed"}}}
	}
	d.putMirror(m)
	return d.Mirrors[d.mirrorIndex(name)], nil
}

// ApplyDeleteMirror removes a mirror and its freshness.
func (d *Dataset) ApplyDeleteMirror(name string) error {
	i := d.mirrorIndex(name)
	if i < 0 {
		return fmt.Errorf("mirror %q: %w", name, ErrNotFound)
	}
	d.Mirrors = slices.Delete(d.Mirrors, i, i+1)
	d.Freshness = slices.DeleteFunc(d.Freshness, func(f Freshness) bool { return f.Mirror == name })
	d.Health = slices.DeleteFunc(d.Health, func(h MirrorHealth) bool { return h.Mirror == name })
	return nil
}

func (d *Dataset) locationIndex(name string) int {
	return slices.IndexFunc(d.Locations, func(x Location) bool { return x.Name == name })
}

// ApplyCreateLocation adds a location; ErrConflict when the name is taken.
func (d *Dataset) ApplyCreateLocation(l Location) error {
	if d.locationIndex(l.Name) >= 0 {
		return fmt.Errorf("location %q already exists: %w", l.Name, ErrConflict)
	}
	l.CloudRegions = slices.Clone(l.CloudRegions)
	d.Locations = append(d.Locations, l)
	return nil
}

// ApplyUpdateLocation changes the named location with change and returns
// the result; a change may not rename the location.
func (d *Dataset) ApplyUpdateLocation(name string, change func(*Location) error) (Location, error) {
	i := d.locationIndex(name)
	if i < 0 {
		return Location{}, fmt.Errorf("location %q: %w", name, ErrNotFound)
	}
	l := d.Locations[i]
	l.CloudRegions = slices.Clone(l.CloudRegions)
	if err := change(&l); err != nil {
		return Location{}, err
	}
	if l.Name != name {
		return Location{}, &ValidationError{Fields: []FieldError{{Field: "name", Entry: name, Msg: "a location cannot be renamed"}}}
	}
	l.CloudRegions = slices.Clone(l.CloudRegions)
	d.Locations[i] = l
	return l, nil
}

// ApplyDeleteLocation removes a location that no mirror uses.
func (d *Dataset) ApplyDeleteLocation(name string) error {
	i := d.locationIndex(name)
	if i < 0 {
		return fmt.Errorf("location %q: %w", name, ErrNotFound)
	}
	for _, m := range d.Mirrors {
		if slices.Contains(m.Locations, name) {
			return fmt.Errorf("location %q is used by mirror %q: %w", name, m.Name, ErrConflict)
		}
	}
	d.Locations = slices.Delete(d.Locations, i, i+1)
	return nil
}

func (d *Dataset) repositoryIndex(prefix, arch string) int {
	return slices.IndexFunc(d.Repositories, func(x Repository) bool { return x.Prefix == prefix && x.Arch == arch })
}

// ApplyCreateRepository adds a repository mapping; ErrConflict when its
// prefix and arch are taken.
func (d *Dataset) ApplyCreateRepository(r Repository) error {
	if d.repositoryIndex(r.Prefix, r.Arch) >= 0 {
		return fmt.Errorf("repository %s/%s already exists: %w", r.Prefix, r.Arch, ErrConflict)
	}
	d.Repositories = append(d.Repositories, r)
	return nil
}

// ApplyUpdateRepository changes the repository of prefix and arch with
// change and returns the result; a change may not alter the key.
func (d *Dataset) ApplyUpdateRepository(prefix, arch string, change func(*Repository) error) (Repository, error) {
	i := d.repositoryIndex(prefix, arch)
	if i < 0 {
		return Repository{}, fmt.Errorf("repository %s/%s: %w", prefix, arch, ErrNotFound)
	}
	r := d.Repositories[i]
	if err := change(&r); err != nil {
		return Repository{}, err
	}
	if r.Prefix != prefix || r.Arch != arch {
		return Repository{}, &ValidationError{Fields: []FieldError{{Field: "prefix", Entry: prefix, Msg: "a repository's prefix and arch cannot change"}}}
	}
	d.Repositories[i] = r
	return r, nil
}

// ApplyDeleteRepository removes a repository mapping.
func (d *Dataset) ApplyDeleteRepository(prefix, arch string) error {
	i := d.repositoryIndex(prefix, arch)
	if i < 0 {
		return fmt.Errorf("repository %s/%s: %w", prefix, arch, ErrNotFound)
	}
	d.Repositories = slices.Delete(d.Repositories, i, i+1)
	return nil
}

// ApplyCreateRedirect adds a repository redirect; ErrConflict when the
// prefix is already redirected.
func (d *Dataset) ApplyCreateRedirect(r Redirect) error {
	if slices.ContainsFunc(d.Redirects, func(x Redirect) bool { return x.From == r.From }) {
		return fmt.Errorf("redirect %q already exists: %w", r.From, ErrConflict)
	}
	d.Redirects = append(d.Redirects, r)
	return nil
}

// ApplyDeleteRedirect removes a repository redirect.
func (d *Dataset) ApplyDeleteRedirect(from string) error {
	i := slices.IndexFunc(d.Redirects, func(x Redirect) bool { return x.From == from })
	if i < 0 {
		return fmt.Errorf("redirect %q: %w", from, ErrNotFound)
	}
	d.Redirects = slices.Delete(d.Redirects, i, i+1)
	return nil
}

// ApplyCloudRanges replaces one provider's ranges and its source record.
func (d *Dataset) ApplyCloudRanges(src CloudSource, ranges []CloudRange) {
	d.CloudRanges = slices.DeleteFunc(d.CloudRanges, func(r CloudRange) bool { return r.Provider == src.Provider })
	d.CloudRanges = append(d.CloudRanges, ranges...)
	d.CloudSources = slices.DeleteFunc(d.CloudSources, func(s CloudSource) bool { return s.Provider == src.Provider })
	d.CloudSources = append(d.CloudSources, src)
}

// CloudRegionLocations maps each cloud region to the location that serves
// it: the one listing it in cloud_regions, else the one of the same name.
func (d *Dataset) CloudRegionLocations() map[string]string {
	m := map[string]string{}
	for _, l := range d.Locations {
		if _, taken := m[l.Name]; !taken {
			m[l.Name] = l.Name
		}
	}
	for _, l := range d.Locations {
		for _, r := range l.CloudRegions {
			m[r] = l.Name
		}
	}
	return m
}

// ApplyExpireAlternates drops every alternate of a directory.
func (d *Dataset) ApplyExpireAlternates(dir string) error {
	i := d.directoryIndex(dir)
	if i < 0 {
		return fmt.Errorf("directory %q: %w", dir, ErrNotFound)
	}
	d.Directories[i].Alternates = nil
	d.dropStaleFreshness()
	return nil
}

// ApplyReport records a mirror's freshness for a directory; it fails with
// ErrConflict unless the sha256 is the current repomd or a listed alternate.
func (d *Dataset) ApplyReport(f Freshness) error {
	if d.mirrorIndex(f.Mirror) < 0 {
		return fmt.Errorf("mirror %q: %w", f.Mirror, ErrNotFound)
	}
	i := d.directoryIndex(f.Directory)
	if i < 0 {
		return fmt.Errorf("directory %q: %w", f.Directory, ErrNotFound)
	}
	if !d.Directories[i].Accepts(f.SHA256) {
		return fmt.Errorf("repomd.xml with sha256 %s is neither the current one of %s nor a listed alternate: %w",
			f.SHA256, f.Directory, ErrConflict)
	}
	j := slices.IndexFunc(d.Freshness, func(x Freshness) bool { return x.Mirror == f.Mirror && x.Directory == f.Directory })
	if j >= 0 {
		d.Freshness[j] = f
	} else {
		d.Freshness = append(d.Freshness, f)
	}
	return nil
}

// ApplyForget drops a mirror's freshness for every directory equal to or
// under prefix and returns how many were dropped.
func (d *Dataset) ApplyForget(mirror, prefix string) (int, error) {
	if d.mirrorIndex(mirror) < 0 {
		return 0, fmt.Errorf("mirror %q: %w", mirror, ErrNotFound)
	}
	prefix = strings.Trim(prefix, "/")
	n := len(d.Freshness)
	d.Freshness = slices.DeleteFunc(d.Freshness, func(f Freshness) bool {
		return f.Mirror == mirror && UnderPrefix(f.Directory, prefix)
	})
	return n - len(d.Freshness), nil
}

// UnderPrefix reports whether dir is prefix or lies below it. An empty
// prefix covers everything.
func UnderPrefix(dir, prefix string) bool {
	return prefix == "" || dir == prefix || strings.HasPrefix(dir, prefix+"/")
}

// ApplyScan records scanned repomd files at time now (see Store.RecordScan).
func (d *Dataset) ApplyScan(scanned []ScannedRepomd, now time.Time, maxAge time.Duration) ScanSummary {
	var sum ScanSummary
	for _, s := range scanned {
		if s.Repo != "" && s.Arch != "" && !slices.ContainsFunc(d.Repositories, func(r Repository) bool {
			return r.Prefix == s.Repo && r.Arch == s.Arch
		}) {
			d.Repositories = append(d.Repositories, Repository{Prefix: s.Repo, Arch: s.Arch, Directory: s.Directory})
			sum.Repositories++
		}
		i := d.directoryIndex(s.Directory)
		if i < 0 {
			r := s.Repomd
			r.Recorded = now
			d.Directories = append(d.Directories, Directory{Path: s.Directory, Current: r})
			sum.Changed = append(sum.Changed, s.Directory)
			continue
		}
		dir := &d.Directories[i]
		if dir.Current.SHA256 == s.Repomd.SHA256 {
			sum.Unchanged++
			continue
		}
		old := dir.Current
		old.Superseded = now
		next := s.Repomd
		next.Recorded = now
		// A repomd that comes back (a rolled-back compose) stops being an alternate.
		dir.Alternates = slices.DeleteFunc(dir.Alternates, func(a Repomd) bool { return a.SHA256 == next.SHA256 })
		dir.Alternates = append([]Repomd{old}, dir.Alternates...)
		dir.Current = next
		sum.Changed = append(sum.Changed, s.Directory)
	}
	for i := range d.Directories {
		dir := &d.Directories[i]
		n := len(dir.Alternates)
		dir.Alternates = slices.DeleteFunc(dir.Alternates, func(a Repomd) bool { return now.Sub(a.Superseded) > maxAge })
		sum.Expired += n - len(dir.Alternates)
	}
	d.dropStaleFreshness()
	return sum
}

// dropStaleFreshness forgets reports of repomd versions no longer accepted.
func (d *Dataset) dropStaleFreshness() {
	accepted := make(map[string]*Directory, len(d.Directories))
	for i := range d.Directories {
		accepted[d.Directories[i].Path] = &d.Directories[i]
	}
	d.Freshness = slices.DeleteFunc(d.Freshness, func(f Freshness) bool {
		dir := accepted[f.Directory]
		return dir == nil || !dir.Accepts(f.SHA256)
	})
}

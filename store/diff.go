package store

import (
	"maps"
	"slices"
)

// Diff lists, kind by kind, how one dataset differs from another, so that
// an admin can see what an import would add, remove or change before it
// does.
type Diff []KindDiff

// KindDiff is how the entries of one kind (mirrors, locations ...) differ.
// Keys are sorted.
type KindDiff struct {
	Kind, Plural string // as written in messages: "mirror", "mirrors"
	// Declarative is true for the kinds a mirrors file declares; the others
	// (scanned directories, freshness, cloud ranges) are state.
	Declarative bool
	Added       []string
	Removed     []string
	Changed     []EntryChange
	// Reordered is true when entries present on both sides come in another
	// order; it matters only for scan rules, the first matching one wins.
	Reordered bool
}

// EntryChange names an entry present on both sides and the fields (as in the
// JSON tags) whose values differ.
type EntryChange struct {
	Key    string
	Fields []string
}

// Empty reports whether the kind has no difference.
func (k *KindDiff) Empty() bool {
	return len(k.Added) == 0 && len(k.Removed) == 0 && len(k.Changed) == 0 && !k.Reordered
}

// Empty reports whether the datasets compared equal.
func (d Diff) Empty() bool {
	for i := range d {
		if !d[i].Empty() {
			return false
		}
	}
	return true
}

// Removals names every removed entry as "kind key", kind by kind.
func (d Diff) Removals() []string {
	var out []string
	for _, k := range d {
		for _, key := range k.Removed {
			out = append(out, k.Kind+" "+key)
		}
	}
	return out
}

// DiffDeclarative compares the declarative parts of old and new: mirrors
// by name, locations by name, repositories by prefix and arch, redirects by
// source and scan rules by pattern.
func DiffDeclarative(old, new *Dataset) Diff {
	rules := diffKind("scan rule", "scan rules", old.ScanRules, new.ScanRules, scanRuleKey, scanRuleFields)
	rules.Reordered = reordered(old.ScanRules, new.ScanRules, scanRuleKey)
	return Diff{
		diffKind("mirror", "mirrors", old.Mirrors, new.Mirrors, mirrorKey, mirrorFields),
		diffKind("location", "locations", old.Locations, new.Locations, locationKey, locationFields),
		diffKind("repository", "repositories", old.Repositories, new.Repositories, repositoryKey, repositoryFields),
		diffKind("redirect", "redirects", old.Redirects, new.Redirects, redirectKey, redirectFields),
		rules,
		diffKind("netblock country", "netblock countries", old.NetblockCountries, new.NetblockCountries, netblockCountryKey, netblockCountryFields),
		diffKind("country continent", "country continents", old.CountryContinents, new.CountryContinents, countryContinentKey, countryContinentFields),
	}
}

// DiffAll compares everything: the declarative parts, then the scanned
// directories, freshness, cloud ranges and the crawler's health that
// Restore replaces too.
func DiffAll(old, new *Dataset) Diff {
	state := Diff{
		diffKind("directory", "directories", old.Directories, new.Directories, directoryKey, directoryFields),
		diffKind("freshness", "freshness", old.Freshness, new.Freshness, freshnessKey, freshnessFields),
		diffKind("cloud range", "cloud ranges", old.CloudRanges, new.CloudRanges, cloudRangeKey, noFields[CloudRange]),
		diffKind("cloud source", "cloud sources", old.CloudSources, new.CloudSources, cloudSourceKey, cloudSourceFields),
		diffKind("tree directory", "tree directories", old.TreeDirectories, new.TreeDirectories,
			func(p string) string { return p }, noFields[string]),
		diffKind("file", "files", old.Files, new.Files, treeFileKey, treeFileFields),
		diffKind("health", "health", old.Health, new.Health, healthKey, healthFields),
	}
	for i := range state {
		state[i].Declarative = false
	}
	return append(DiffDeclarative(old, new), state...)
}

// diffKind compares two lists of one kind by key.
func diffKind[T any](kind, plural string, old, new []T, key func(T) string, fields func(a, b T) []string) KindDiff {
	k := KindDiff{Kind: kind, Plural: plural, Declarative: true}
	if len(old) == 0 {
		// Everything is added (a first import): no index by key to build,
		// which for a large network's freshness is most of the diff's cost.
		if len(new) > 0 {
			k.Added = make([]string, 0, len(new))
			for _, x := range new {
				k.Added = append(k.Added, key(x))
			}
			slices.Sort(k.Added)
			k.Added = slices.Compact(k.Added)
		}
		return k
	}
	was, is := byKey(old, key), byKey(new, key)
	for _, name := range slices.Sorted(maps.Keys(was)) {
		b, ok := is[name]
		if !ok {
			k.Removed = append(k.Removed, name)
			continue
		}
		if f := fields(was[name], b); len(f) > 0 {
			k.Changed = append(k.Changed, EntryChange{Key: name, Fields: f})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(is)) {
		if _, ok := was[name]; !ok {
			k.Added = append(k.Added, name)
		}
	}
	return k
}

// byKey indexes entries by key; of duplicates the last one counts.
func byKey[T any](list []T, key func(T) string) map[string]T {
	m := make(map[string]T, len(list))
	for _, x := range list {
		m[key(x)] = x
	}
	return m
}

// reordered reports whether the entries both lists hold come in another order.
func reordered[T any](old, new []T, key func(T) string) bool {
	was, is := byKey(old, key), byKey(new, key)
	var a, b []string
	for _, x := range old {
		if _, ok := is[key(x)]; ok {
			a = append(a, key(x))
		}
	}
	for _, x := range new {
		if _, ok := was[key(x)]; ok {
			b = append(b, key(x))
		}
	}
	return !slices.Equal(a, b)
}

// fieldList collects the names of the fields that differ.
type fieldList []string

func (f *fieldList) check(name string, same bool) {
	if !same {
		*f = append(*f, name)
	}
}

func mirrorKey(m Mirror) string { return m.Name }

func mirrorFields(a, b Mirror) []string {
	var f fieldList
	f.check("country", a.Country == b.Country)
	f.check("bandwidth", a.Bandwidth == b.Bandwidth)
	f.check("enabled", a.Enabled == b.Enabled)
	f.check("private", a.Private == b.Private)
	f.check("always_up_to_date", a.AlwaysUpToDate == b.AlwaysUpToDate)
	f.check("urls", slices.Equal(a.URLs, b.URLs))
	f.check("netblocks", slices.Equal(a.Netblocks, b.Netblocks))
	f.check("asn", a.ASN == b.ASN)
	f.check("locations", slices.Equal(a.Locations, b.Locations))
	f.check("region", a.Region == b.Region)
	f.check("bucket", a.Bucket == b.Bucket)
	f.check("countries_allowed", slices.Equal(a.CountriesAllowed, b.CountriesAllowed))
	f.check("ipv4", a.ServesIPv4() == b.ServesIPv4())
	f.check("ipv6", a.ServesIPv6() == b.ServesIPv6())
	return f
}

func locationKey(l Location) string { return l.Name }

func locationFields(a, b Location) []string {
	var f fieldList
	f.check("description", a.Description == b.Description)
	f.check("cloud_regions", slices.Equal(a.CloudRegions, b.CloudRegions))
	return f
}

func repositoryKey(r Repository) string { return r.Prefix + "/" + r.Arch }

func repositoryFields(a, b Repository) []string {
	var f fieldList
	f.check("directory", a.Directory == b.Directory)
	f.check("disabled", a.Disabled == b.Disabled)
	return f
}

func redirectKey(r Redirect) string { return r.From }

func redirectFields(a, b Redirect) []string {
	var f fieldList
	f.check("to", a.To == b.To)
	return f
}

func scanRuleKey(r ScanRule) string { return r.Pattern }

func scanRuleFields(a, b ScanRule) []string {
	var f fieldList
	f.check("repo", a.Repo == b.Repo)
	f.check("arch", a.Arch == b.Arch)
	return f
}

func directoryKey(d Directory) string { return d.Path }

func directoryFields(a, b Directory) []string {
	var f fieldList
	f.check("current", sameRepomd(a.Current, b.Current))
	f.check("alternates", slices.EqualFunc(a.Alternates, b.Alternates, sameRepomd))
	return f
}

// sameRepomd compares times as instants: a store may load them in another zone.
func sameRepomd(a, b Repomd) bool {
	return a.Size == b.Size && a.Timestamp == b.Timestamp && a.MD5 == b.MD5 && a.SHA1 == b.SHA1 &&
		a.SHA256 == b.SHA256 && a.SHA512 == b.SHA512 && a.Recorded.Equal(b.Recorded) && a.Superseded.Equal(b.Superseded)
}

func freshnessKey(f Freshness) string { return f.Mirror + " " + f.Directory }

func freshnessFields(a, b Freshness) []string {
	var f fieldList
	f.check("sha256", a.SHA256 == b.SHA256)
	f.check("reported", a.Reported.Equal(b.Reported))
	f.check("source", canonicalSource(a.Source) == canonicalSource(b.Source))
	return f
}

func canonicalSource(s string) string {
	if s == SourceReport {
		return ""
	}
	return s
}

func healthKey(h MirrorHealth) string { return h.Mirror }

func healthFields(a, b MirrorHealth) []string {
	var f fieldList
	f.check("last_crawl", a.LastCrawl.Equal(b.LastCrawl))
	f.check("consecutive_failures", a.ConsecutiveFailures == b.ConsecutiveFailures)
	f.check("disabled", a.Disabled == b.Disabled && a.Reason == b.Reason && a.Since.Equal(b.Since))
	f.check("protocols", slices.EqualFunc(a.Protocols, b.Protocols, func(x, y ProtocolHealth) bool {
		return x.Protocol == y.Protocol && x.LastSuccess.Equal(y.LastSuccess) && x.LastFailure.Equal(y.LastFailure) &&
			x.LastReason == y.LastReason && x.LastDetail == y.LastDetail && x.ConsecutiveFailures == y.ConsecutiveFailures
	}))
	return f
}

func cloudRangeKey(r CloudRange) string { return r.Provider + " " + r.Region + " " + r.Prefix }

func cloudSourceKey(s CloudSource) string { return s.Provider }

func cloudSourceFields(a, b CloudSource) []string {
	var f fieldList
	f.check("sync_token", a.SyncToken == b.SyncToken)
	f.check("imported", a.Imported.Equal(b.Imported))
	return f
}

func netblockCountryKey(o NetblockCountry) string { return o.Netblock }

func netblockCountryFields(a, b NetblockCountry) []string {
	var f fieldList
	f.check("country", a.Country == b.Country)
	return f
}

func countryContinentKey(o CountryContinent) string { return o.Country }

func countryContinentFields(a, b CountryContinent) []string {
	var f fieldList
	f.check("continent", a.Continent == b.Continent)
	return f
}

// noFields is the comparison of a kind whose key is all of it.
func treeFileKey(f TreeFile) string { return f.Path }

func treeFileFields(a, b TreeFile) []string {
	var f fieldList
	f.check("size", a.Size == b.Size)
	f.check("mtime", a.MTime == b.MTime)
	f.check("sha256", a.SHA256 == b.SHA256)
	return f
}

func noFields[T any](T, T) []string { return nil }

// Merge returns the declarative part of stored with file's entries added
// or replacing the stored ones of the same key: nothing stored is removed.
// Scan rules keep the file's order; a stored rule the file lacks stays
// right after the rule it followed.
func Merge(stored, file *Dataset) *Dataset {
	d := &Dataset{
		Mirrors:      mergeKind(stored.Mirrors, file.Mirrors, mirrorKey),
		Locations:    mergeKind(stored.Locations, file.Locations, locationKey),
		Repositories: mergeKind(stored.Repositories, file.Repositories, repositoryKey),
		Redirects:    mergeKind(stored.Redirects, file.Redirects, redirectKey),
		ScanRules:    mergeScanRules(stored.ScanRules, file.ScanRules),

		NetblockCountries: mergeKind(stored.NetblockCountries, file.NetblockCountries, netblockCountryKey),
		CountryContinents: mergeKind(stored.CountryContinents, file.CountryContinents, countryContinentKey),
	}
	return d.Clone()
}

// MergeAll is Merge of the whole dataset: the file's directories,
// freshness and health are added or replace the stored ones, and stored
// cloud ranges stay. Freshness that no longer matches its directory's current or
// alternate repomd goes, as after a scan.
func MergeAll(stored, file *Dataset) *Dataset {
	d := Merge(stored, file)
	d.Directories = mergeKind(stored.Directories, file.Directories, directoryKey)
	d.Freshness = mergeKind(stored.Freshness, file.Freshness, freshnessKey)
	d.CloudRanges = mergeKind(stored.CloudRanges, file.CloudRanges, cloudRangeKey)
	d.CloudSources = mergeKind(stored.CloudSources, file.CloudSources, cloudSourceKey)
	d.TreeDirectories = mergeKind(stored.TreeDirectories, file.TreeDirectories, func(p string) string { return p })
	d.Files = mergeKind(stored.Files, file.Files, treeFileKey)
	d.Health = mergeKind(stored.Health, file.Health, healthKey)
	d = d.Clone()
	d.dropStaleFreshness()
	return d
}

// mergeKind returns stored with each entry of file replacing the stored
// one of the same key in place, or appended, in file order, when new.
func mergeKind[T any](stored, file []T, key func(T) string) []T {
	byName := byKey(file, key)
	out := make([]T, 0, len(stored)+len(file))
	seen := make(map[string]bool, len(stored))
	for _, x := range stored {
		k := key(x)
		if f, ok := byName[k]; ok {
			x = f
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	for _, x := range file {
		if k := key(x); !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	return out
}

// mergeScanRules keeps the file's rules in the file's order, since the
// first matching rule wins, and puts each stored rule the file lacks right
// after the rule it followed in the store.
func mergeScanRules(stored, file []ScanRule) []ScanRule {
	out := slices.Clone(file)
	after := -1
	for _, r := range stored {
		if i := slices.IndexFunc(out, func(x ScanRule) bool { return x.Pattern == r.Pattern }); i >= 0 {
			after = i
			continue
		}
		after++
		out = slices.Insert(out, after, r)
	}
	return out
}

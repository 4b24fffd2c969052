package mm2

import (
	"slices"
	"strings"

	"github.com/metalinkd/metalinkd/store"
)

// Ownership says which parts of a stored dataset an import from
// MirrorManager2 owns, and so may change or remove:
//
//   - mirrors whose name starts with Prefix (every mirror it writes does);
//   - repositories whose directory lies in one of Trees, the imported
//     categories' trees, and the redirects whose source MirrorManager2
//     lists or whose target is such a repository;
//   - directories (repomd state), tree directories and file details in Trees;
//   - the freshness and crawl health of its mirrors.
//
// Everything else stays as it is: other mirrors (regional buckets, mirrors
// created through the admin API), their health, their freshness while its
// repomd is still accepted, locations and the netblock → country and
// country → continent overrides (the import adds MirrorManager's, or
// replaces ours of the same key, and never removes one), scan rules, cloud
// ranges, tokens and the audit log.
type Ownership struct {
	Prefix string
	Trees  []string
}

// Owns reports whether a result of this conversion owns the stored entry.
func (o Ownership) ownsMirror(name string) bool { return strings.HasPrefix(name, o.Prefix) }

func (o Ownership) ownsPath(p string) bool {
	for _, t := range o.Trees {
		if t == "" || p == t || strings.HasPrefix(p, t+"/") {
			return true
		}
	}
	return false
}

// Merge returns the dataset the store should hold after importing r:
// stored with the parts the import owns replaced by r's. stored is not
// changed. The result is normalised, not validated.
func Merge(stored *store.Dataset, r *Result, prefix string) *store.Dataset {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	o := Ownership{Prefix: prefix, Trees: r.Trees}
	in := r.Dataset.Copy()
	out := stored.Copy()

	out.Mirrors = slices.DeleteFunc(out.Mirrors, func(m store.Mirror) bool { return o.ownsMirror(m.Name) })
	out.Mirrors = append(out.Mirrors, in.Mirrors...)

	have := out.LocationNames()
	for _, l := range in.Locations {
		if !have[l.Name] {
			out.Locations = append(out.Locations, l)
		}
	}

	// The overrides are added or replace ours of the same netblock or
	// country; like locations, the import never removes one.
	out.NetblockCountries = mergeBy(out.NetblockCountries, in.NetblockCountries, func(o store.NetblockCountry) string { return o.Netblock })
	out.CountryContinents = mergeBy(out.CountryContinents, in.CountryContinents, func(o store.CountryContinent) string { return o.Country })

	key := func(r store.Repository) [2]string { return [2]string{r.Prefix, r.Arch} }
	incoming := map[[2]string]bool{}
	ownedPrefixes := map[string]bool{}
	for _, r := range in.Repositories {
		incoming[key(r)] = true
		ownedPrefixes[r.Prefix] = true
	}
	out.Repositories = slices.DeleteFunc(out.Repositories, func(r store.Repository) bool {
		if o.ownsPath(r.Directory) {
			ownedPrefixes[r.Prefix] = true
			return true
		}
		return incoming[key(r)]
	})
	out.Repositories = append(out.Repositories, in.Repositories...)

	from := map[string]bool{}
	for _, r := range in.Redirects {
		from[r.From] = true
	}
	out.Redirects = slices.DeleteFunc(out.Redirects, func(r store.Redirect) bool { return from[r.From] || ownedPrefixes[r.To] })
	out.Redirects = append(out.Redirects, in.Redirects...)

	out.Directories = slices.DeleteFunc(out.Directories, func(d store.Directory) bool { return o.ownsPath(d.Path) })
	out.Directories = append(out.Directories, in.Directories...)

	out.TreeDirectories = slices.DeleteFunc(out.TreeDirectories, o.ownsPath)
	out.TreeDirectories = append(out.TreeDirectories, in.TreeDirectories...)
	out.Files = slices.DeleteFunc(out.Files, func(f store.TreeFile) bool { return o.ownsPath(f.Path) })
	out.Files = append(out.Files, in.Files...)

	dirs := map[string]*store.Directory{}
	for i := range out.Directories {
		dirs[out.Directories[i].Path] = &out.Directories[i]
	}
	out.Freshness = slices.DeleteFunc(out.Freshness, func(f store.Freshness) bool {
		d := dirs[f.Directory]
		return o.ownsMirror(f.Mirror) || d == nil || !d.Accepts(f.SHA256)
	})
	out.Freshness = append(out.Freshness, in.Freshness...)

	mirrors := map[string]bool{}
	for _, m := range out.Mirrors {
		mirrors[m.Name] = true
	}
	out.Health = slices.DeleteFunc(out.Health, func(h store.MirrorHealth) bool { return o.ownsMirror(h.Mirror) || !mirrors[h.Mirror] })
	out.Health = append(out.Health, in.Health...)
	out.Normalize()
	return out
}

// mergeBy returns stored with the entries of in added, replacing those of
// the same key.
func mergeBy[T any](stored, in []T, key func(T) string) []T {
	incoming := map[string]bool{}
	for _, x := range in {
		incoming[key(x)] = true
	}
	out := slices.DeleteFunc(stored, func(x T) bool { return incoming[key(x)] })
	return append(out, in...)
}

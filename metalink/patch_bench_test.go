package metalink

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/metalinkd/metalinkd/store"
)

// fedoraNetwork is 1,000 mirrors in 10 countries, 3,000 directories and
// each mirror fresh for about half of them (some 500,000 records).
func fedoraNetwork() *store.Dataset {
	r := rand.New(rand.NewPCG(1, 2))
	d := &store.Dataset{}
	for i := range 3000 {
		d.Directories = append(d.Directories, store.Directory{Path: fmt.Sprintf("pub/%04d/os", i),
			Current: store.Repomd{Size: 1, SHA256: fmt.Sprintf("%064x", i)}})
		d.Repositories = append(d.Repositories, store.Repository{Prefix: fmt.Sprintf("repo-%04d", i), Arch: "x86_64", Directory: d.Directories[i].Path})
	}
	for i := range 1000 {
		m := store.Mirror{Name: fmt.Sprintf("m%04d", i), Country: patchCountries[r.IntN(len(patchCountries))], Bandwidth: 100,
			Enabled: true, URLs: []string{fmt.Sprintf("https://m%d.example/pub", i), fmt.Sprintf("http://m%d.example/pub", i)}}
		for range 50 {
			m.Netblocks = append(m.Netblocks, fmt.Sprintf("%d.%d.%d.0/24", 1+r.IntN(200), r.IntN(256), r.IntN(256)))
		}
		d.Mirrors = append(d.Mirrors, m)
		for j := range 3000 {
			if r.IntN(2) == 0 {
				d.Freshness = append(d.Freshness, store.Freshness{Mirror: m.Name, Directory: d.Directories[j].Path, SHA256: d.Directories[j].Current.SHA256})
			}
		}
	}
	return d
}

// BenchmarkPatchFedora compares a rebuild at Fedora's scale with the
// patches of a report, and of a mirror in the middle of the list disabled,
// enabled again, and moved to another country (go test -run '^$' -bench
// PatchFedora -benchmem ./metalink).
func BenchmarkPatchFedora(b *testing.B) {
	d := fedoraNetwork()
	s := NewSnapshot(d, testNow)
	b.Run("rebuild", func(b *testing.B) {
		for b.Loop() {
			NewSnapshot(d, testNow)
		}
	})
	b.Run("report", func(b *testing.B) {
		cs := &store.ChangeSet{Freshness: []store.FreshnessChange{{Mirror: "m0500", Directory: "pub/1500/os", SHA256: fmt.Sprintf("%064x", 1500)}}}
		cs2 := &store.ChangeSet{Freshness: []store.FreshnessChange{{Mirror: "m0500", Directory: "pub/1500/os"}}}
		for b.Loop() {
			s.Patch(cs, testNow).Patch(cs2, testNow)
		}
	})
	b.Run("disable", func(b *testing.B) {
		m := d.Mirrors[500]
		m.Enabled = false
		cs := &store.ChangeSet{Mirrors: []store.MirrorChange{{Name: m.Name, Mirror: &m}}}
		for b.Loop() {
			s.Patch(cs, testNow)
		}
	})
	b.Run("enable", func(b *testing.B) {
		m := d.Mirrors[500]
		m.Enabled = false
		off := s.Patch(&store.ChangeSet{Mirrors: []store.MirrorChange{{Name: m.Name, Mirror: &m}}}, testNow)
		cs := &store.ChangeSet{Mirrors: []store.MirrorChange{{Name: m.Name, Mirror: &d.Mirrors[500], Freshness: freshnessOf(d, m.Name)}}}
		for b.Loop() {
			off.Patch(cs, testNow)
		}
	})
	b.Run("edit-country", func(b *testing.B) {
		m := d.Mirrors[500]
		m.Country = "ZZ"
		cs := &store.ChangeSet{Mirrors: []store.MirrorChange{{Name: m.Name, Mirror: &m, Freshness: freshnessOf(d, m.Name)}}}
		for b.Loop() {
			s.Patch(cs, testNow)
		}
	})
}

func freshnessOf(d *store.Dataset, mirror string) []store.Freshness {
	var out []store.Freshness
	for _, f := range d.Freshness {
		if f.Mirror == mirror {
			out = append(out, f)
		}
	}
	return out
}

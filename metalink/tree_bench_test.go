package metalink

import (
	"fmt"
	"testing"

	"github.com/metalinkd/metalinkd/store"
)

// fedoraScale is a tree shaped like Fedora's: 3,000 repository directories
// (15 releases × 10 architectures × 5 trees × 4 categories), 30 package
// directories inside each (90,000 in all) and the image directories of
// each release and architecture, with 300 mirrors fresh for everything.
func fedoraScale(tree bool) *store.Dataset {
	d := &store.Dataset{}
	for i := range 300 {
		d.Mirrors = append(d.Mirrors, store.Mirror{Name: fmt.Sprintf("m%d", i), Country: "DE", Bandwidth: 100,
			Enabled: true, AlwaysUpToDate: true, URLs: []string{fmt.Sprintf("https://m%d.example/pub", i)}})
	}
	for r := 30; r < 45; r++ {
		for a := range 10 {
			for c, cat := range []string{"releases", "updates", "updates/testing", "development"} {
				for k, sub := range []string{"os", "debug/tree", "drpms", "kickstart", "images/tree"} {
					dir := fmt.Sprintf("%s/%d/Everything/arch%d/%s", cat, r, a, sub)
					d.Directories = append(d.Directories, store.Directory{Path: dir,
						Current: store.Repomd{Size: 1, SHA256: fmt.Sprintf("%064x", r*1000+a*100+c*10+k)}})
					if !tree {
						continue
					}
					for p := range 30 {
						d.TreeDirectories = append(d.TreeDirectories, fmt.Sprintf("%s/Packages/%d", dir, p))
					}
				}
				if tree {
					iso := fmt.Sprintf("%s/%d/Workstation/arch%d/iso", cat, r, a)
					d.TreeDirectories = append(d.TreeDirectories, iso, fmt.Sprintf("%s/%d/Everything/arch%d", cat, r, a))
					d.Files = append(d.Files, store.TreeFile{Path: iso + "/Fedora.iso", Size: 1 << 31, SHA256: fmt.Sprintf("%064x", r)})
				}
			}
		}
	}
	return d
}

// BenchmarkSnapshotFedoraTree measures building a snapshot at Fedora's
// scale without and with the recorded tree (go test -bench
// SnapshotFedoraTree -benchmem ./metalink).
func BenchmarkSnapshotFedoraTree(b *testing.B) {
	for _, tree := range []bool{false, true} {
		d := fedoraScale(tree)
		b.Run(fmt.Sprintf("tree=%v", tree), func(b *testing.B) {
			for b.Loop() {
				NewSnapshot(d, testNow)
			}
		})
	}
}

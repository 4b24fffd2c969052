package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// TestFixture checks that the fixture trees are consistent repositories and
// that the second createrepo_c run produced a different repomd.xml.
func TestFixture(t *testing.T) {
	fx := getFixture(t)
	for _, root := range []string{fx.tree, fx.otherTree} {
		for _, name := range fixturePackages {
			if _, err := os.Stat(filepath.Join(root, repoDir, "Packages", name+"-1.0-1.noarch.rpm")); err != nil {
				t.Error(err)
			}
		}
	}
	if a, b := repomdDigests(t, fx.tree), repomdDigests(t, fx.otherTree); a == b {
		t.Errorf("both createrepo_c runs produced repomd.xml sha256 %s; want different", a.sha256)
	}
	regen := t.TempDir()
	if err := copyTree(fx.tree, regen); err != nil {
		t.Fatal(err)
	}
	if err := fx.addPackage(regen, extraPackage); err != nil {
		t.Fatal(err)
	}
	if a, b := repomdDigests(t, fx.tree), repomdDigests(t, regen); a == b {
		t.Errorf("adding %s left repomd.xml unchanged", extraPackage)
	}
}

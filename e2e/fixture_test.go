package e2e

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// repoDir is the fixture repository's directory in the master tree, the one
// metalinkd's Fedora scan rules map to repo fedora-41, arch x86_64.
const repoDir = "releases/41/Everything/x86_64/os"

// fixturePackages are built into the first published tree; extraPackage is
// added when a scenario regenerates the master repository.
var (
	fixturePackages = []string{"e2e-alpha", "e2e-beta"}
	extraPackage    = "e2e-gamma"
)

// fixture is the content the scenarios publish, built once per run.
type fixture struct {
	// rpms maps a package name to its built noarch RPM.
	rpms map[string]string
	// tree is a master tree root holding the fixture packages at repoDir.
	tree string
	// otherTree holds the same packages indexed by another createrepo_c run:
	// a consistent repository whose repomd.xml differs from tree's.
	otherTree string
	// home stands in for $HOME of rpmbuild and createrepo_c, so that neither
	// writes to the real one.
	home string
}

var fixtureOnce = sync.OnceValues(func() (*fixture, error) {
	return buildFixture(filepath.Join(scratchDir, "fixture"))
})

// getFixture returns the fixture, building it on first use.
func getFixture(t *testing.T) *fixture {
	t.Helper()
	requireTools(t, "rpmbuild", "createrepo_c")
	fx, err := fixtureOnce()
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

const fixtureSpec = `Name: %{pkgname}
Version: 1.0
Release: 1
Summary: metalinkd end-to-end fixture
License: MIT
BuildArch: noarch

%description
An empty package that metalinkd's end-to-end tests publish.

%files
`

func buildFixture(dir string) (*fixture, error) {
	fx := &fixture{rpms: map[string]string{}, home: filepath.Join(dir, "home")}
	if err := os.MkdirAll(fx.home, 0o755); err != nil {
		return nil, err
	}
	spec := filepath.Join(dir, "fixture.spec")
	if err := os.WriteFile(spec, []byte(fixtureSpec), 0o644); err != nil {
		return nil, err
	}
	top := filepath.Join(dir, "rpmbuild")
	for _, name := range slices.Concat(fixturePackages, []string{extraPackage}) {
		_, err := fx.command(dir, "rpmbuild", "-bb", "--quiet",
			"--define", "_topdir "+top,
			"--define", "_dbpath "+filepath.Join(dir, "rpmdb"),
			"--define", "pkgname "+name, spec)
		if err != nil {
			return nil, err
		}
		fx.rpms[name] = filepath.Join(top, "RPMS", "noarch", name+"-1.0-1.noarch.rpm")
	}
	fx.tree = filepath.Join(dir, "tree")
	if err := fx.publish(fx.tree, fixturePackages); err != nil {
		return nil, err
	}
	fx.otherTree = filepath.Join(dir, "other-tree")
	if err := fx.publish(fx.otherTree, fixturePackages, "--revision", "other-run"); err != nil {
		return nil, err
	}
	return fx, nil
}

// publish makes root a master tree whose repoDir holds the named packages
// under Packages/ and their repodata.
func (fx *fixture) publish(root string, names []string, createrepoArgs ...string) error {
	pkgs := filepath.Join(root, repoDir, "Packages")
	if err := os.MkdirAll(pkgs, 0o755); err != nil {
		return err
	}
	for _, name := range names {
		if err := copyFile(fx.rpms[name], filepath.Join(pkgs, filepath.Base(fx.rpms[name]))); err != nil {
			return err
		}
	}
	return fx.createrepo(filepath.Join(root, repoDir), createrepoArgs...)
}

// addPackage adds a package to the repository at root and regenerates its
// repodata, as a compose does between two scans.
func (fx *fixture) addPackage(root, name string) error {
	dst := filepath.Join(root, repoDir, "Packages", filepath.Base(fx.rpms[name]))
	if err := copyFile(fx.rpms[name], dst); err != nil {
		return err
	}
	return fx.createrepo(filepath.Join(root, repoDir))
}

func (fx *fixture) createrepo(dir string, extra ...string) error {
	args := append([]string{"--quiet", "--no-database"}, extra...)
	_, err := fx.command(dir, "createrepo_c", append(args, dir)...)
	return err
}

// command runs a build tool with $HOME pointed into the fixture.
func (fx *fixture) command(dir, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + fx.home, "LANG=C.UTF-8"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out, nil
}

// copyTree copies the regular files and directories under src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return copyFile(path, filepath.Join(dst, rel))
	})
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// digests are the lower-case hex hashes of a file that clients check.
type digests struct{ sha256, sha512 string }

func fileDigests(t *testing.T, path string) digests {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s256, s512 := sha256.Sum256(b), sha512.Sum512(b)
	return digests{hex.EncodeToString(s256[:]), hex.EncodeToString(s512[:])}
}

// repomdDigests returns the hashes of the repomd.xml of the tree at root.
func repomdDigests(t *testing.T, root string) digests {
	t.Helper()
	return fileDigests(t, filepath.Join(root, repoDir, "repodata", "repomd.xml"))
}

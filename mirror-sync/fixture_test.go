package mirrorsync

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// rpmSet is a folder of RPMs built once per test binary.
type rpmSet struct {
	once sync.Once
	dir  string
	err  error
}

var (
	smallRPMs rpmSet // alpha-1 beta-1 gamma-1 gamma-2 delta-2, noarch, no files
	manyRPMs  rpmSet // p0000..p1999-1
	bigRPMs   rpmSet // big-1 with a 6 MiB incompressible file
)

// buildRPMs runs rpmbuild on a spec once per test binary and returns the
// folder of built packages.
func buildRPMs(t testing.TB, set *rpmSet, specs ...string) string {
	t.Helper()
	rpmbuild := testpeer.Require(t, "rpmbuild", "see scripts/test.sh")
	set.once.Do(func() {
		set.dir, set.err = os.MkdirTemp("", "mirror-sync-rpms-")
		for i, spec := range specs {
			if set.err != nil {
				return
			}
			top := filepath.Join(set.dir, fmt.Sprintf("top%d", i))
			specFile := filepath.Join(set.dir, fmt.Sprintf("f%d.spec", i))
			if set.err = os.WriteFile(specFile, []byte(spec), 0o644); set.err != nil {
				return
			}
			out, err := exec.Command(rpmbuild, "-bb", "--quiet", "--define", "_topdir "+top, specFile).CombinedOutput()
			if err != nil {
				set.err = fmt.Errorf("rpmbuild: %v\n%s", err, out)
				return
			}
			rpms, _ := filepath.Glob(filepath.Join(top, "RPMS", "noarch", "*.rpm"))
			for _, r := range rpms {
				if set.err = os.Rename(r, filepath.Join(set.dir, filepath.Base(r))); set.err != nil {
					return
				}
			}
			os.RemoveAll(top)
		}
	})
	if set.err != nil {
		t.Fatal(set.err)
	}
	return set.dir
}

// spec writes an RPM spec with one empty subpackage per name, plus extra
// sections (e.g. an %install that makes a file).
func spec(version string, names []string, extra string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%%global debug_package %%{nil}\n%%define __os_install_post %%{nil}\nName: fixture\nVersion: %s\nRelease: 1\nSummary: fixture\nLicense: MIT\nBuildArch: noarch\n%%description\nfixture\n", version)
	for _, n := range names {
		fmt.Fprintf(&b, "%%package -n %s\nSummary: %s\n%%description -n %s\n%s\n%%files -n %s\n", n, n, n, n, n)
	}
	b.WriteString(extra)
	return b.String()
}

func smallSet(t testing.TB) string {
	return buildRPMs(t, &smallRPMs, spec("1", []string{"alpha", "beta", "gamma"}, ""), spec("2", []string{"gamma", "delta"}, ""))
}

func manySet(t testing.TB) string {
	names := make([]string, 2000)
	for i := range names {
		names[i] = fmt.Sprintf("p%04d", i)
	}
	return buildRPMs(t, &manyRPMs, spec("1", names, ""))
}

func bigSet(t testing.TB) string {
	extra := "%install\nmkdir -p %{buildroot}/usr/share/big\nhead -c 6291456 /dev/urandom > %{buildroot}/usr/share/big/blob\n" +
		"%package -n big\nSummary: big\n%description -n big\nbig\n%files -n big\n/usr/share/big/blob\n"
	return buildRPMs(t, &bigRPMs, spec("1", nil, extra))
}

// makeRepo lays out a repository at root/dir from the named RPM files of
// set (without .noarch.rpm) and runs createrepo_c with extra arguments.
// An existing repository there is replaced.
func makeRepo(t testing.TB, set, root, dir string, rpms []string, args ...string) {
	t.Helper()
	createrepo := testpeer.Require(t, "createrepo_c", "see scripts/test.sh")
	repo := filepath.Join(root, filepath.FromSlash(dir))
	if err := os.RemoveAll(repo); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(repo, "Packages"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, r := range rpms {
		name := r + ".noarch.rpm"
		if err := copyFile(filepath.Join(set, name), filepath.Join(repo, "Packages", name)); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(createrepo, append(append([]string{"--quiet", "--no-database"}, args...), repo)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("createrepo_c: %v\n%s", err, out)
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

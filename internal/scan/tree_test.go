package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

func TestWalkRecordsDirectoriesAndImages(t *testing.T) {
	root := t.TempDir()
	write(t, root, "releases/41/Everything/x86_64/os/repodata/repomd.xml", repomd)
	write(t, root, "releases/41/Everything/x86_64/os/Packages/a/a.rpm", "rpm")
	iso := "releases/41/Workstation/x86_64/iso/"
	write(t, root, iso+"Fedora-Workstation-Live-41-1.4.x86_64.iso", "live image")
	write(t, root, iso+"Fedora-Workstation-41-1.4-x86_64-CHECKSUM",
		"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"+
			"# Fedora-Workstation-Live-41-1.4.x86_64.iso: 10 bytes\n"+
			"SHA256 (Fedora-Workstation-Live-41-1.4.x86_64.iso) = "+sumA+"\n"+
			"-----BEGIN PGP SIGNATURE-----\n\nxyz\n-----END PGP SIGNATURE-----\n")
	cloud := "releases/41/Cloud/x86_64/images/"
	write(t, root, cloud+"Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2", "qcow2 image")
	write(t, root, cloud+"Fedora-Cloud-41-1.4-x86_64-CHECKSUM", sumB+"  Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2\n")
	write(t, root, cloud+"unlisted.raw.xz", "no checksum line")
	write(t, root, cloud+"readme.txt", "not an image")
	write(t, root, "odd name/x.iso", "skipped")
	mtime := time.Unix(1730000000, 0)
	if err := os.Chtimes(filepath.Join(root, iso+"Fedora-Workstation-Live-41-1.4.x86_64.iso"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	for _, hashMissing := range []bool{false, true} {
		res, err := Walk(root, store.NewMapper(nil), Options{HashMissing: hashMissing})
		if err != nil {
			t.Fatal(err)
		}
		wantDirs := []string{
			"releases", "releases/41", "releases/41/Cloud", "releases/41/Cloud/x86_64", "releases/41/Cloud/x86_64/images",
			"releases/41/Everything", "releases/41/Everything/x86_64", "releases/41/Everything/x86_64/os",
			"releases/41/Everything/x86_64/os/Packages", "releases/41/Everything/x86_64/os/Packages/a",
			"releases/41/Everything/x86_64/os/repodata",
			"releases/41/Workstation", "releases/41/Workstation/x86_64", "releases/41/Workstation/x86_64/iso",
		}
		if diff := cmp.Diff(wantDirs, res.Directories); diff != "" {
			t.Errorf("directories (-want +got):\n%s", diff)
		}
		unlisted := ""
		if hashMissing {
			s := sha256.Sum256([]byte("no checksum line"))
			unlisted = hex.EncodeToString(s[:])
		}
		var got []store.TreeFile
		for _, f := range res.Files {
			if f.Path == iso+"Fedora-Workstation-Live-41-1.4.x86_64.iso" && f.MTime != mtime.Unix() {
				t.Errorf("%s: mtime %d, want %d", f.Path, f.MTime, mtime.Unix())
			}
			f.MTime = 0
			got = append(got, f)
		}
		wantFiles := []store.TreeFile{
			{Path: cloud + "Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2", Size: 11, SHA256: sumB},
			{Path: cloud + "unlisted.raw.xz", Size: 16, SHA256: unlisted},
			{Path: iso + "Fedora-Workstation-Live-41-1.4.x86_64.iso", Size: 10, SHA256: sumA},
		}
		if diff := cmp.Diff(wantFiles, got); diff != "" {
			t.Errorf("hashMissing=%v: files (-want +got):\n%s", hashMissing, diff)
		}
		if len(res.Repomds) != 1 || res.Repomds[0].Repo != "fedora-41" {
			t.Errorf("repomds: %+v", res.Repomds)
		}
		if len(res.Skipped) != 1 {
			t.Errorf("skipped %q, want the directory with a space", res.Skipped)
		}
		d := &store.Dataset{TreeDirectories: res.Directories, Files: res.Files}
		if err := d.Validate(); err != nil {
			t.Errorf("the store refuses the scan: %v", err)
		}
	}
}

func TestWalkPatterns(t *testing.T) {
	root := t.TempDir()
	write(t, root, "a/x.iso", "iso")
	write(t, root, "a/y.bin", "bin")
	res, err := Walk(root, store.NewMapper(nil), Options{Patterns: []string{"*.bin"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || res.Files[0].Path != "a/y.bin" {
		t.Errorf("files %+v, want only a/y.bin", res.Files)
	}
}

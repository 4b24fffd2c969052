package e2e

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/internal/mm2/mm2test"
)

// mm2Network fills a database in MirrorManager2's schema with the Fedora
// Linux category, the fixture repository and one up-to-date host per
// mirror given, each at its own loopback address, in country US.
func mm2Network(t *testing.T, fx *fixture, mirrors ...*mirror) string {
	t.Helper()
	url := mm2test.NewSchema(t)
	repomd := filepath.Join(fx.tree, repoDir, "repodata", "repomd.xml")
	b, err := os.ReadFile(repomd)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(repomd)
	if err != nil {
		t.Fatal(err)
	}
	sum := func(h []byte) string { return hex.EncodeToString(h) }
	m5, s1, s256, s512 := md5.Sum(b), sha1.Sum(b), sha256.Sum256(b), sha512.Sum512(b)
	var sql strings.Builder
	fmt.Fprintf(&sql, `
		INSERT INTO directory (id, name) VALUES (1, 'pub/fedora/linux'), (2, 'pub/fedora/linux/%[1]s'),
			(3, 'pub/fedora/linux/%[1]s/repodata');
		INSERT INTO category (id, name, topdir_id) VALUES (1, 'Fedora Linux', 1);
		INSERT INTO category_directory VALUES (1, 1), (1, 2), (1, 3);
		INSERT INTO arch (id, name) VALUES (1, 'x86_64');
		INSERT INTO repository (name, prefix, category_id, arch_id, directory_id) VALUES ('Fedora 41', 'fedora-41', 1, 1, 2);
		INSERT INTO file_detail (filename, timestamp, size, md5, sha1, sha256, sha512, directory_id)
			VALUES ('repomd.xml', %[2]d, %[3]d, '%[4]s', '%[5]s', '%[6]s', '%[7]s', 3);
		INSERT INTO site (id, name, created_by) VALUES (1, 'e2e', 'e2e');`,
		repoDir, info.ModTime().Unix(), len(b), sum(m5[:]), sum(s1[:]), sum(s256[:]), sum(s512[:]))
	for i, m := range mirrors {
		id := i + 1
		fmt.Fprintf(&sql, `
			INSERT INTO host (id, name, site_id, country, bandwidth_int) VALUES (%[1]d, 'mirror%[1]d.e2e.test', 1, 'US', 100);
			INSERT INTO host_category (id, host_id, category_id) VALUES (%[1]d, %[1]d, 1);
			INSERT INTO host_category_url (host_category_id, url) VALUES (%[1]d, '%[2]s');
			INSERT INTO host_category_dir (host_category_id, path, up2date, directory_id)
				VALUES (%[1]d, '%[3]s/repodata', true, 3);`, id, m.URL(), repoDir)
	}
	mm2test.Exec(t, url, sql.String())
	return url
}

// TestDNFFromMirrorManager2 imports a MirrorManager2 database and installs
// with real dnf from the mirror that came from it.
func TestDNFFromMirrorManager2(t *testing.T) {
	fx := getFixture(t)
	requireTools(t, "dnf")
	m := startMirror(t, "mm2-host", fx.tree)
	url := mm2Network(t, fx, m)
	d := newMetalinkd(t, t.TempDir())
	d.run(t, "import", "--from-mirrormanager2", url)
	d.serve(t)
	body := d.metalink(t, "repo=fedora-41&arch=x86_64")
	if !strings.Contains(body, m.URL()+"/"+repoDir+"/repodata/repomd.xml") {
		t.Fatalf("the imported mirror is not listed:\n%s", body)
	}
	root := newDNFRoot(t, d.url+"/metalink?repo=fedora-$releasever&arch=$basearch", nil)
	root.run(t, "install", fixturePackages[0]).requireSuccess(t)
	if n := m.served(".rpm"); n == 0 {
		t.Errorf("the mirror from MirrorManager2 served no package; its log:\n%s", m.accessLog())
	}
}

// TestCompareServers runs metalinkd compare against two servers of ours:
// fed from the same MirrorManager2 database they agree, and once one of
// them has a mirror more they do not, and the difference is named.
func TestCompareServers(t *testing.T) {
	fx := getFixture(t)
	a, b := startMirror(t, "a", fx.tree), startMirror(t, "b", fx.tree)
	url := mm2Network(t, fx, a, b)
	ref, ours := newMetalinkd(t, t.TempDir()), newMetalinkd(t, t.TempDir())
	ref.run(t, "import", "--from-mirrormanager2", url)
	ours.run(t, "import", "--from-mirrormanager2", url)
	ref.serve(t)
	ours.serve(t)
	compare := func() (string, error) {
		cmd := exec.Command(ours.bin, "compare", "--data-dir", ours.dataDir, "--reference", ref.url, "--ours", ours.url)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := compare(); err != nil || !strings.Contains(out, "compared 2 queries: 0 differ") {
		t.Fatalf("identical data: %v\n%s", err, out)
	}

	mm2test.Exec(t, url, `UPDATE host SET user_active = false WHERE id = 2`)
	ref.run(t, "import", "--from-mirrormanager2", url)
	ref.waitForMetalink(t, "repo=fedora-41&arch=x86_64", "one mirror", func(s string) bool { return strings.Count(s, "<url ") == 1 })
	out, err := compare()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("different data: exit %v, want 1\n%s", err, out)
	}
	if !strings.Contains(out, "only ours lists 127.0.0.1:") || !strings.Contains(out, "compared 2 queries: 2 differ") {
		t.Errorf("the difference is not named:\n%s", out)
	}
}

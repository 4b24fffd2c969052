package clientinit

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

const unitFile = "packaging/client-init.service"

// unitSettings returns the unit's key=value lines, keyed by key.
func unitSettings(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	settings := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if key, value, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(key, "#") {
			settings[key] = value
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return settings
}

func TestSystemdUnitOrdering(t *testing.T) {
	settings := unitSettings(t)
	want := map[string]string{
		"Type":              "oneshot",
		"Wants":             "network-online.target",
		"After":             "network-online.target",
		"Before":            "dnf-makecache.service",
		"ExecStart":         "/usr/bin/client-init $CLIENT_INIT_OPTIONS",
		"SuccessExitStatus": strconv.Itoa(exitNoMetadata),
		"WantedBy":          "multi-user.target",
	}
	for key, value := range want {
		if settings[key] != value {
			t.Errorf("%s=%q, want %q", key, settings[key], value)
		}
	}
}

// TestSystemdUnitVerify runs systemd-analyze verify on the unit, with
// ExecStart pointing at the freshly built binary since verify checks that
// the program exists. Any warning fails the test.
func TestSystemdUnitVerify(t *testing.T) {
	analyze := testpeer.Require(t, "systemd-analyze", "apt-get install -y systemd")
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(unit), "ExecStart=/usr/bin/client-init", "ExecStart="+clientInitBinary(t), 1)
	path := filepath.Join(t.TempDir(), "client-init.service")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestRPMBuild builds the package from a source tarball with rpmbuild,
// offline, and checks what it installs. Fedora's
// systemd macros are stood in for, since Debian's rpm lacks them.
func TestRPMBuild(t *testing.T) {
	rpmbuild := testpeer.Require(t, "rpmbuild", "apt-get install -y rpm")
	rpm := testpeer.Require(t, "rpm", "apt-get install -y rpm")
	const version = "0.1.0"
	top := t.TempDir()
	sources := filepath.Join(top, "SOURCES")
	if err := os.MkdirAll(sources, 0o755); err != nil {
		t.Fatal(err)
	}
	writeSourceTarball(t, moduleRoot(t), filepath.Join(sources, "client-init-"+version+".tar.gz"), "client-init-"+version)
	cmd := exec.Command(rpmbuild, "-bb", "--nodeps",
		"--define", "_topdir "+top,
		"--define", "pkg_version "+version,
		"--define", "_unitdir /usr/lib/systemd/system",
		"--define", "systemd_post() systemctl preset %{*}",
		"--define", "systemd_preun() systemctl disable %{*}",
		"--define", "systemd_postun() systemctl daemon-reload",
		"packaging/client-init.spec")
	// No proxy and an empty module cache: the build must need nothing but
	// the tarball and the standard library, as in a distribution's builder.
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOMODCACHE="+filepath.Join(top, "modcache"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("rpmbuild: %v\n%s", err, out)
	}
	pkgs, err := filepath.Glob(filepath.Join(top, "RPMS", "*", "metalinkd-client-init-"+version+"-1.*.rpm"))
	if err != nil || len(pkgs) != 1 {
		t.Fatalf("built packages: %v %v\n%s", pkgs, err, out)
	}
	out, err = exec.Command(rpm, "-qlp", pkgs[0]).Output()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range strings.Fields(string(out)) {
		if !strings.HasPrefix(f, "/usr/lib/.build-id") { // rpm's own debuginfo links
			files = append(files, f)
		}
	}
	want := []string{"/etc/sysconfig/client-init", "/usr/bin/client-init", "/usr/lib/systemd/system/client-init.service"}
	if !slices.Equal(files, want) {
		t.Errorf("package files %q, want %q", files, want)
	}
	scripts, err := exec.Command(rpm, "-qp", "--scripts", pkgs[0]).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(scripts), "systemctl preset client-init.service") {
		t.Errorf("post-install scriptlet does not preset the unit:\n%s", scripts)
	}
}

// writeSourceTarball packs what the spec builds from into a tarball whose
// entries are under prefix.
func writeSourceTarball(t *testing.T, root, path, prefix string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for _, part := range []string{"go.mod", "go.sum", "internal/location", "internal/logging", "client-init", "cmd/client-init"} {
		err := filepath.WalkDir(filepath.Join(root, part), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			return addToTar(tw, p, filepath.ToSlash(filepath.Join(prefix, rel)))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
}

func addToTar(tw *tar.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	hdr, err := tar.FileInfoHeader(info, "")
	if err != nil {
		return err
	}
	hdr.Name = name
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

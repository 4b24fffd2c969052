package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// packageFiles are the files each binary package installs.
var packageFiles = map[string][]string{
	"metalinkd": {
		"/etc/sysconfig/metalinkd",
		"/usr/bin/metalinkd",
		"/usr/lib/systemd/system/metalinkd-crawl.service",
		"/usr/lib/systemd/system/metalinkd-crawl.timer",
		"/usr/lib/systemd/system/metalinkd-ranges.service",
		"/usr/lib/systemd/system/metalinkd-ranges.timer",
		"/usr/lib/systemd/system/metalinkd-scan.service",
		"/usr/lib/systemd/system/metalinkd-scan.timer",
		"/usr/lib/systemd/system/metalinkd.service",
		"/usr/lib/sysusers.d/metalinkd.conf",
		"/usr/share/doc/metalinkd-0.1.0",
		"/usr/share/doc/metalinkd-0.1.0/README.md",
		"/usr/share/licenses/metalinkd-0.1.0",
		"/usr/share/licenses/metalinkd-0.1.0/LICENSE",
		"/var/lib/metalinkd",
	},
	"metalinkd-mirror-sync": {
		"/etc/mirror-sync",
		"/usr/bin/mirror-sync",
		"/usr/lib/systemd/system/mirror-sync@.service",
		"/usr/lib/systemd/system/mirror-sync@.timer",
		"/usr/lib/sysusers.d/mirror-sync.conf",
		"/usr/share/doc/metalinkd-mirror-sync-0.1.0",
		"/usr/share/doc/metalinkd-mirror-sync-0.1.0/example.yaml",
		"/usr/share/licenses/metalinkd-mirror-sync-0.1.0",
		"/usr/share/licenses/metalinkd-mirror-sync-0.1.0/LICENSE",
	},
	"metalinkd-client-init": {
		"/etc/sysconfig/client-init",
		"/usr/bin/client-init",
		"/usr/lib/systemd/system/client-init.service",
		"/usr/share/licenses/metalinkd-client-init-0.1.0",
		"/usr/share/licenses/metalinkd-client-init-0.1.0/LICENSE",
	},
}

// packageScripts are words each package's scriptlets must hold: its units
// enabled by preset, and its users created.
var packageScripts = map[string][]string{
	"metalinkd":             {"preset metalinkd.service metalinkd-scan.timer metalinkd-ranges.timer metalinkd-crawl.timer", "try-restart metalinkd.service", "metalinkd.sysusers"},
	"metalinkd-mirror-sync": {"preset mirror-sync@.timer", "disable mirror-sync@*.timer mirror-sync@*.service", "mirror-sync.sysusers"},
	"metalinkd-client-init": {"preset client-init.service"},
}

// TestRPMBuild makes the sources with scripts/srpm.sh (from the working
// tree, so that uncommitted changes are what is built), the SRPM from
// them, and rebuilds that offline: no module proxy, an empty module
// cache, the local toolchain. It then checks the three packages' files,
// scriptlets and license. Fedora's systemd and sysusers macros are stood
// in for, since Debian's rpm lacks them, and --nodeps stands in for
// Debian's missing golang RPM.
func TestRPMBuild(t *testing.T) {
	rpmbuild := testpeer.Require(t, "rpmbuild", "apt-get install -y rpm")
	rpm := testpeer.Require(t, "rpm", "apt-get install -y rpm")
	const version = "0.1.0"
	top := t.TempDir()
	sources := filepath.Join(top, "srpm")
	cmd := exec.Command("bash", filepath.Join(moduleRoot(t), "scripts", "srpm.sh"), "-s", "-w", sources)
	cmd.Env = append(os.Environ(), "VERSION="+version)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/srpm.sh: %v\n%s", err, out)
	}
	srpm := filepath.Join(sources, "metalinkd-"+version+"-1.src.rpm")
	cmd = exec.Command(rpmbuild, "--rebuild", "--nodeps",
		"--define", "_topdir "+top,
		"--define", "_unitdir /usr/lib/systemd/system",
		"--define", "_sysusersdir /usr/lib/sysusers.d",
		"--define", "_sharedstatedir /var/lib",
		"--define", "systemd_post() systemctl preset %{*}",
		"--define", "systemd_preun() systemctl disable %{*}",
		"--define", "systemd_postun() systemctl daemon-reload",
		"--define", "systemd_postun_with_restart() systemctl try-restart %{*}",
		"--define", "sysusers_create_compat() systemd-sysusers - < %1",
		srpm)
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=vendor", "GOTOOLCHAIN=local",
		"GOMODCACHE="+filepath.Join(top, "modcache"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("rpmbuild --rebuild: %v\n%s", err, out)
	}
	for name, want := range packageFiles {
		pkgs, err := filepath.Glob(filepath.Join(top, "RPMS", "*", name+"-"+version+"-1.*.rpm"))
		if err != nil || len(pkgs) != 1 {
			t.Errorf("built packages %s: %v %v\n%s", name, pkgs, err, out)
			continue
		}
		checkPackage(t, rpm, pkgs[0], want, packageScripts[name])
	}
}

// checkPackage compares a binary package's files, license and scriptlets
// with what is expected of it.
func checkPackage(t *testing.T, rpm, pkg string, files, scripts []string) {
	t.Helper()
	out, err := exec.Command(rpm, "-qlp", pkg).Output()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range strings.Fields(string(out)) {
		if !strings.HasPrefix(f, "/usr/lib/.build-id") { // rpm's own debuginfo links
			got = append(got, f)
		}
	}
	if !slices.Equal(got, files) {
		t.Errorf("%s: files %q, want %q", filepath.Base(pkg), got, files)
	}
	license, err := exec.Command(rpm, "-qp", "--qf", "%{LICENSE}", pkg).Output()
	if err != nil || string(license) != "MIT" {
		t.Errorf("%s: License %q (%v), want MIT", filepath.Base(pkg), license, err)
	}
	text, err := exec.Command(rpm, "-qp", "--scripts", pkg).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range scripts {
		if !strings.Contains(string(text), want) {
			t.Errorf("%s: scriptlets lack %q:\n%s", filepath.Base(pkg), want, text)
		}
	}
}

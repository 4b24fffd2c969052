package packaging

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	clientinit "github.com/metalinkd/metalinkd/client-init"
	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// units are the systemd units the packages ship.
var units = []string{
	"metalinkd.service",
	"metalinkd-scan.service", "metalinkd-scan.timer",
	"metalinkd-ranges.service", "metalinkd-ranges.timer",
	"metalinkd-crawl.service", "metalinkd-crawl.timer",
	"mirror-sync@.service", "mirror-sync@.timer",
	"client-init.service",
}

// programs are the executables the units name, by path.
var programs = []string{"/usr/bin/metalinkd", "/usr/bin/mirror-sync", "/usr/bin/client-init", "/usr/bin/curl"}

// unitSettings returns a unit's key=value lines, every value of each key.
func unitSettings(t *testing.T, unit string) map[string][]string {
	t.Helper()
	f, err := os.Open(unit)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	settings := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if key, value, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(key, "#") {
			settings[key] = append(settings[key], value)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return settings
}

// setting returns the last value of key, the one systemd applies.
func setting(settings map[string][]string, key string) string {
	if v := settings[key]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

func TestSystemdUnitOrdering(t *testing.T) {
	settings := unitSettings(t, "client-init.service")
	want := map[string]string{
		"Type":              "oneshot",
		"Wants":             "network-online.target",
		"After":             "network-online.target",
		"Before":            "dnf-makecache.service",
		"ExecStart":         "/usr/bin/client-init $CLIENT_INIT_OPTIONS",
		"SuccessExitStatus": strconv.Itoa(clientinit.ExitNoMetadata),
		"WantedBy":          "multi-user.target",
	}
	for key, value := range want {
		if got := setting(settings, key); got != value {
			t.Errorf("%s=%q, want %q", key, got, value)
		}
	}
}

// TestSystemdUnitStore checks that the units writing metalinkd's store
// share its user, state directory and settings, and are hardened alike.
func TestSystemdUnitStore(t *testing.T) {
	shared := map[string]string{
		"User":                    "metalinkd",
		"Group":                   "metalinkd",
		"StateDirectory":          "metalinkd",
		"EnvironmentFile":         "/etc/sysconfig/metalinkd",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"NoNewPrivileges":         "yes",
		"CapabilityBoundingSet":   "",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
	}
	for _, unit := range []string{"metalinkd.service", "metalinkd-scan.service", "metalinkd-ranges.service", "metalinkd-crawl.service"} {
		settings := unitSettings(t, unit)
		for key, value := range shared {
			if got, ok := settings[key]; !ok || setting(settings, key) != value {
				t.Errorf("%s: %s=%q, want %q", unit, key, got, value)
			}
		}
		if !slices.Contains(settings["SystemCallFilter"], "@system-service") {
			t.Errorf("%s: SystemCallFilter=%q lacks @system-service", unit, settings["SystemCallFilter"])
		}
	}
	server := unitSettings(t, "metalinkd.service")
	for key, value := range map[string]string{
		"ExecStart":  "/usr/bin/metalinkd serve $METALINKD_SERVE_OPTIONS",
		"ExecReload": "/bin/kill -HUP $MAINPID",
		"Restart":    "on-failure",
	} {
		if got := setting(server, key); got != value {
			t.Errorf("metalinkd.service: %s=%q, want %q", key, got, value)
		}
	}
	sync := unitSettings(t, "mirror-sync@.service")
	if got, want := setting(sync, "ExecStart"), "/usr/bin/mirror-sync sync --config /etc/mirror-sync/config.yaml --region %i"; got != want {
		t.Errorf("mirror-sync@.service: ExecStart=%q, want %q", got, want)
	}
}

// TestSystemdUnitVerify runs systemd-analyze verify on every unit, and on
// an instance of each template. verify checks that the programs a unit
// runs exist, so they point at stubs here. Any warning fails the test.
func TestSystemdUnitVerify(t *testing.T) {
	analyze := testpeer.Require(t, "systemd-analyze", "apt-get install -y systemd")
	dir := t.TempDir()
	var replace []string
	for _, p := range programs {
		stub := filepath.Join(dir, "bin", filepath.Base(p))
		if err := os.MkdirAll(filepath.Dir(stub), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(stub, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		replace = append(replace, "="+p+" ", "="+stub+" ")
	}
	stubs := strings.NewReplacer(replace...)
	var paths []string
	for _, unit := range units {
		text, err := os.ReadFile(unit)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, unit)
		if err := os.WriteFile(path, []byte(stubs.Replace(string(text))), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
		if strings.Contains(unit, "@.") {
			instance := filepath.Join(dir, strings.Replace(unit, "@.", "@us-east-1.", 1))
			if err := os.Symlink(unit, instance); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, instance)
		}
	}
	out, err := exec.Command(analyze, append([]string{"verify", "--man=no"}, paths...)...).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestSystemdUnitFlags checks that every flag the units and the
// environment file pass to the programs is one the program knows, as its
// -h output lists it.
func TestSystemdUnitFlags(t *testing.T) {
	bin := buildPrograms(t)
	flag := regexp.MustCompile(`(?:^| )--([a-z][a-z0-9-]*)`)
	for _, unit := range units {
		for _, line := range append(unitSettings(t, unit)["ExecStart"], unitSettings(t, unit)["ExecStartPre"]...) {
			args := strings.Fields(line)
			prog := filepath.Base(args[0])
			if prog == "curl" {
				continue
			}
			// The words before the first flag or variable name the subcommand.
			help := []string{"-h"}
			for i, a := range args[1:] {
				if strings.HasPrefix(a, "-") || strings.HasPrefix(a, "$") {
					break
				}
				help = append(slices.Clone(args[1:i+2]), "-h")
			}
			out, _ := exec.Command(filepath.Join(bin, prog), help...).CombinedOutput()
			for _, m := range flag.FindAllStringSubmatch(line, -1) {
				if !strings.Contains(string(out), "  -"+m[1]+" ") && !strings.Contains(string(out), "  -"+m[1]+"\n") {
					t.Errorf("%s: %s %s has no flag --%s:\n%s", unit, prog, strings.Join(help, " "), m[1], out)
				}
			}
		}
	}
}

// TestPackagingSysconfig starts metalinkd serve with the environment file's
// settings, as the unit does, and checks it accepts them.
func TestPackagingSysconfig(t *testing.T) {
	bin := buildPrograms(t)
	env := []string{"PATH=" + os.Getenv("PATH")}
	for key, values := range unitSettings(t, "metalinkd.sysconfig") {
		env = append(env, key+"="+values[len(values)-1])
	}
	cmd := exec.Command(filepath.Join(bin, "metalinkd"), "serve", "--print-config")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("metalinkd serve --print-config with metalinkd.sysconfig: %v\n%s", err, out)
	}
	for _, want := range []string{`"127.0.0.1:8080"`, `embedded:/var/lib/metalinkd`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("effective configuration lacks %s:\n%s", want, out)
		}
	}
}

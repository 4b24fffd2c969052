package packaging

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestPackagingContainerfile checks that the Containerfile's final stage
// agrees with itself: the port it exposes is the one the server listens
// on, the volume is the data directory, it runs as a non-root user, and
// the entrypoint is the binary it copies in. The image itself is not
// built, for want of a container engine in the test environment.
func TestPackagingContainerfile(t *testing.T) {
	b, err := os.ReadFile("Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	stages := strings.Split(text, "\nFROM ") // the header, then each stage
	if len(stages) < 3 {
		t.Fatalf("want a build stage and a final stage, got %d stages", len(stages)-1)
	}
	build, final := stages[len(stages)-2], stages[len(stages)-1]
	find := func(re string) string {
		t.Helper()
		m := regexp.MustCompile(`(?m)` + re).FindStringSubmatch(final)
		if m == nil {
			t.Fatalf("final stage lacks %s:\n%s", re, final)
		}
		return m[1]
	}
	if !strings.Contains(build, "CGO_ENABLED=0") {
		t.Error("the build stage does not set CGO_ENABLED=0")
	}
	if user := find(`^USER (\S+)`); user == "root" || strings.HasPrefix(user, "0") {
		t.Errorf("USER %s, want a non-root user", user)
	}
	if listen, port := find(`METALINKD_LISTEN=(\S+)`), find(`^EXPOSE (\d+)`); !strings.HasSuffix(listen, ":"+port) {
		t.Errorf("EXPOSE %s, but METALINKD_LISTEN=%s", port, listen)
	}
	if dir, volume := find(`METALINKD_DATA_DIR=(\S+)`), find(`^VOLUME \["([^"]+)"\]`); dir != volume {
		t.Errorf("VOLUME %s, but METALINKD_DATA_DIR=%s", volume, dir)
	}
	bin := find(`^COPY --from=build \S+ (\S+/metalinkd)$`)
	if entry := find(`^ENTRYPOINT \["([^"]+)", "serve"\]`); entry != bin {
		t.Errorf("ENTRYPOINT %s, but the binary is copied to %s", entry, bin)
	}
}

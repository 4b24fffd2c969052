package mirrorsync

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the sync worker apart from the server: it reaches
// the server only through the admin API, so it must link no server, store,
// database or router code.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/metalinkd/metalinkd/cmd/mirror-sync").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := []string{
		"github.com/metalinkd/metalinkd/store",
		"github.com/metalinkd/metalinkd/server",
		"github.com/jackc/",
		"github.com/go-chi/",
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.HasPrefix(pkg, f) {
				t.Errorf("cmd/mirror-sync links %s", pkg)
			}
		}
	}
}

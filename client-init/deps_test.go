package clientinit

import (
	"debug/elf"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the guest helper small: besides the standard
// library it may link only itself, the location grammar, the logger
// constructor and the build information (all standard library only), never
// server, store, database or S3 code.
func TestDependencies(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./cmd/client-init")
	cmd.Dir = moduleRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	allowed := map[string]bool{
		"github.com/metalinkd/metalinkd/cmd/client-init":   true,
		"github.com/metalinkd/metalinkd/client-init":       true,
		"github.com/metalinkd/metalinkd/internal/location": true,
		"github.com/metalinkd/metalinkd/internal/logging":  true,
		"github.com/metalinkd/metalinkd/internal/version":  true,
	}
	for _, pkg := range strings.Fields(string(out)) {
		if !allowed[pkg] {
			t.Errorf("cmd/client-init links %s", pkg)
		}
	}
	std := exec.Command("go", "list", "-deps", "./cmd/client-init")
	std.Dir = moduleRoot(t)
	std.Env = cmd.Env
	all, err := std.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(all)) {
		if strings.HasPrefix(pkg, "database/") || pkg == "runtime/cgo" {
			t.Errorf("cmd/client-init links %s", pkg)
		}
	}
}

// TestStaticBinary checks that the binary built with CGO_ENABLED=0 asks
// for no dynamic loader and no shared library.
func TestStaticBinary(t *testing.T) {
	f, err := elf.Open(clientInitBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("binary has a %v program header: not static", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("binary needs shared libraries %v", libs)
	}
}

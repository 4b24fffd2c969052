package clientinit

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestRunWritesOnlyChanges(t *testing.T) {
	root := t.TempDir()
	azure := azureServer(t, http.StatusOK, "text/plain", "northeurope")
	args := withEndpoints(closedEndpoint(t), closedEndpoint(t), azure, "--root", root)
	if res := runInProcess(t, args...); res.code != exitOK {
		t.Fatalf("first run: exit %d", res.code)
	}
	wantVars(t, root, "northeurope\n")
	inodes := map[string]uint64{}
	for _, path := range varsPaths(root) {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want 0644", path, info.Mode().Perm())
		}
		inodes[path] = info.Sys().(*syscall.Stat_t).Ino
	}
	res := runInProcess(t, args...)
	if res.code != exitOK || !strings.Contains(res.log, "unchanged=2") {
		t.Fatalf("second run: exit %d, want %d with both files unchanged", res.code, exitOK)
	}
	for path, ino := range inodes {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Sys().(*syscall.Stat_t).Ino; got != ino {
			t.Errorf("%s was replaced although its content was current", path)
		}
	}
	leftovers, err := filepath.Glob(filepath.Join(root, "etc/*/vars/.location.*"))
	if err != nil || len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v %v", leftovers, err)
	}
}

func TestRunOutcomes(t *testing.T) {
	tests := []struct {
		name   string
		seed   string // "" leaves the files absent
		answer bool   // whether Azure answers westeurope
		args   []string
		code   int
		want   string
		stdout string
	}{
		{"stale location replaced", "eu-central-1\n", true, nil, exitOK, "westeurope\n", ""},
		{"no metadata leaves files alone", "eu-central-1\n", false, nil, ExitNoMetadata, "eu-central-1\n", ""},
		{"no metadata, no files", "", false, nil, ExitNoMetadata, absentFile, ""},
		{"remove when absent", "eu-central-1\n", false, []string{"--remove-when-absent"}, ExitNoMetadata, absentFile, ""},
		{"remove when absent keeps a found location", "eu-central-1\n", true, []string{"--remove-when-absent"}, exitOK, "westeurope\n", ""},
		{"dry run prints", "eu-central-1\n", true, []string{"--dry-run"}, exitOK, "eu-central-1\n", "westeurope\n"},
		{"dry run removes nothing", "eu-central-1\n", false, []string{"--dry-run", "--remove-when-absent"}, ExitNoMetadata, "eu-central-1\n", ""},
		{"format", "", true, []string{"--format", "{{.Provider}}-{{.Region}}"}, exitOK, "azure-westeurope\n", ""},
		{"format outside the grammar", "eu-central-1\n", true, []string{"--format", "{{.Region}}_x"}, exitInvalidLocation, "eu-central-1\n", ""},
		{"format with an unknown field", "eu-central-1\n", true, []string{"--format", "{{.Zone}}"}, exitInvalidLocation, "eu-central-1\n", ""},
		{"format that does not parse", "eu-central-1\n", true, []string{"--format", "{{.Region"}, exitUsage, "eu-central-1\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if tt.seed != "" {
				seedVars(t, root, tt.seed)
			}
			azure := closedEndpoint(t)
			if tt.answer {
				azure = azureServer(t, http.StatusOK, "text/plain", "westeurope")
			}
			args := withEndpoints(closedEndpoint(t), closedEndpoint(t), azure, append(tt.args, "--root", root)...)
			res := runInProcess(t, args...)
			if res.code != tt.code {
				t.Errorf("exit %d, want %d", res.code, tt.code)
			}
			if res.stdout != tt.stdout {
				t.Errorf("stdout %q, want %q", res.stdout, tt.stdout)
			}
			wantVars(t, root, tt.want)
		})
	}
}

func TestRunCannotWrite(t *testing.T) {
	root := t.TempDir()
	// A file where the vars directory should be makes every write fail,
	// even for root, for whom permissions would not.
	if err := os.MkdirAll(filepath.Join(root, "etc/dnf"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/dnf/vars"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	azure := azureServer(t, http.StatusOK, "text/plain", "westeurope")
	res := runInProcess(t, withEndpoints(closedEndpoint(t), closedEndpoint(t), azure, "--root", root)...)
	if res.code != exitFailure {
		t.Errorf("exit %d, want %d", res.code, exitFailure)
	}
}

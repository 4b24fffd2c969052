package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDatabaseURLFromFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "database-url")
	if err := os.WriteFile(file, []byte("postgres://sync:hunter2@127.0.0.1:5432/metalinkd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, map[string]string{"DATABASE_URL_FILE": file}, "", "serve", "--print-config")
	if r.code != ExitOK || !strings.Contains(r.stdout, `"store": "postgres:postgres://sync:xxxxx@127.0.0.1:5432/metalinkd"`) {
		t.Errorf("DATABASE_URL_FILE: %+v", r)
	}
	r = runCLI(t, map[string]string{"DATABASE_URL": "postgres://127.0.0.1/from-env", "DATABASE_URL_FILE": file}, "", "serve", "--print-config")
	if !strings.Contains(r.stdout, `"store": "postgres:postgres://127.0.0.1/from-env"`) {
		t.Errorf("DATABASE_URL must win over DATABASE_URL_FILE: %+v", r)
	}
	r = runCLI(t, map[string]string{"DATABASE_URL_FILE": filepath.Join(t.TempDir(), "absent")}, "", "serve", "--print-config")
	if r.code != ExitError || !strings.Contains(r.stderr, "DATABASE_URL_FILE") {
		t.Errorf("unreadable DATABASE_URL_FILE: %+v", r)
	}
}

package secret

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFromEnv(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("  from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{"neither set", map[string]string{}, "", ""},
		{"value", map[string]string{"TOKEN": " v\n"}, "v", ""},
		{"value wins over file", map[string]string{"TOKEN": "v", "TOKEN_FILE": file}, "v", ""},
		{"file", map[string]string{"TOKEN_FILE": file}, "from-file", ""},
		{"unreadable file", map[string]string{"TOKEN_FILE": missing}, "", "TOKEN_FILE: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromEnv(func(k string) string { return tt.env[k] }, "TOKEN")
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("FromEnv = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

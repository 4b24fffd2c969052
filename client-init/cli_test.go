package clientinit

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMainExitCodes(t *testing.T) {
	root := t.TempDir()
	repos := filepath.Join(root, "etc/yum.repos.d")
	if err := os.MkdirAll(repos, 0o755); err != nil {
		t.Fatal(err)
	}
	repo := "[fedora]\nmetalink=https://m.example/metalink?repo=fedora-$releasever&arch=$basearch\n"
	if err := os.WriteFile(filepath.Join(repos, "fedora.repo"), []byte(repo), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
	}{
		{"help", []string{"--help"}, exitOK, ""},
		{"repo-files help", []string{"repo-files", "-h"}, exitOK, ""},
		{"unknown flag", []string{"--bogus"}, exitUsage, ""},
		{"unknown provider", []string{"--provider", "oracle"}, exitUsage, ""},
		{"repo-files stray argument", []string{"repo-files", "now"}, exitUsage, ""},
		{"repo-files check", []string{"repo-files", "--check", "--root", root}, exitNeedsChange, filepath.Join(repos, "fedora.repo") + "\n"},
		{"repo-files", []string{"repo-files", "--root", root}, exitOK, ""},
		{"repo-files check again", []string{"repo-files", "--check", "--root", root}, exitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Main(context.Background(), Env{Stdout: &stdout, Stderr: &stderr}, tt.args); code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, stderr.String())
			}
			if stdout.String() != tt.stdout {
				t.Errorf("stdout %q, want %q", stdout.String(), tt.stdout)
			}
		})
	}
}

// TestHelp checks that --help explains every flag and every exit code.
func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"-h"}, []string{"-provider", "-allow-imdsv1", "-timeout", "-aws-endpoint", "-gcp-endpoint",
			"-azure-endpoint", "-format", "-root", "-remove-when-absent", "-dry-run", "repo-files"}},
		{[]string{"repo-files", "-h"}, []string{"-root", "-repos-dir", "-check"}},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		Main(context.Background(), Env{Stdout: &bytes.Buffer{}, Stderr: &stderr}, tt.args)
		help := stderr.String()
		want := tt.want
		for code := exitOK; code <= exitNeedsChange; code++ {
			want = append(want, "\n  "+string(rune('0'+code))+"  ")
		}
		for _, w := range want {
			if !strings.Contains(help, w) {
				t.Errorf("%q help lacks %q:\n%s", tt.args, w, help)
			}
		}
	}
}

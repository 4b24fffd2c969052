package clientinit

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAddLocation(t *testing.T) {
	const loc = "&location=$location"
	const mm = "https://mirrors.fedoraproject.org/metalink?repo=fedora-$releasever&arch=$basearch"
	tests := []struct {
		name, in, want string
	}{
		{"appended", "metalink=" + mm + "\n", "metalink=" + mm + loc + "\n"},
		{"already there", "metalink=" + mm + loc + "\n", "metalink=" + mm + loc + "\n"},
		{"blanks around =", "metalink = " + mm + "\n", "metalink = " + mm + loc + "\n"},
		{"trailing blanks and CRLF kept", "metalink=" + mm + " \t\r\n", "metalink=" + mm + loc + " \t\r\n"},
		{"no final newline", "metalink=" + mm, "metalink=" + mm + loc},
		{"hard-coded location replaced", "metalink=" + mm + "&location=us-east-1\n", "metalink=" + mm + loc + "\n"},
		{"location in the middle moved", "metalink=https://m/metalink?repo=r&location=$location&arch=a\n",
			"metalink=https://m/metalink?repo=r&arch=a" + loc + "\n"},
		{"bare location parameter dropped", "metalink=https://m/metalink?location&repo=r\n", "metalink=https://m/metalink?repo=r" + loc + "\n"},
		{"similar names kept", "metalink=https://m/metalink?mylocation=x&repo=r\n", "metalink=https://m/metalink?mylocation=x&repo=r" + loc + "\n"},
		{"no query", "metalink=https://m/metalink\n", "metalink=https://m/metalink?location=$location\n"},
		{"empty query", "metalink=https://m/metalink?\n", "metalink=https://m/metalink?location=$location\n"},
		{"empty value left alone", "metalink=\n", "metalink=\n"},
		{"comment left alone", "#metalink=" + mm + "\n", "#metalink=" + mm + "\n"},
		{"other keys left alone", "baseurl=http://m/os/\nmirrorlist=http://m/ml?repo=r\n", "baseurl=http://m/os/\nmirrorlist=http://m/ml?repo=r\n"},
		{"key that only starts alike", "metalinks=" + mm + "\n", "metalinks=" + mm + "\n"},
		{"continuation line left alone", "  metalink=" + mm + "\n", "  metalink=" + mm + "\n"},
		{"several sections",
			"[fedora]\nname=Fedora\nmetalink=" + mm + "\n\n[updates]\nmetalink=" + mm + "\nenabled=1\n",
			"[fedora]\nname=Fedora\nmetalink=" + mm + loc + "\n\n[updates]\nmetalink=" + mm + loc + "\nenabled=1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := addLocation(tt.in)
			if got != tt.want {
				t.Errorf("addLocation:\n got %q\nwant %q", got, tt.want)
			}
			if changed != (tt.in != tt.want) {
				t.Errorf("changed = %v", changed)
			}
			if again, changed := addLocation(got); changed || again != got {
				t.Errorf("second addLocation changed %q into %q", got, again)
			}
		})
	}
}

// fedoraRepo is the shape of Fedora's own fedora.repo.
const fedoraRepo = `[fedora]
name=Fedora $releasever - $basearch
#baseurl=http://download.example/pub/fedora/linux/releases/$releasever/Everything/$basearch/os/
metalink=https://mirrors.fedoraproject.org/metalink?repo=fedora-$releasever&arch=$basearch
enabled=1
countme=1
metadata_expire=7d
repo_gpgcheck=0
type=rpm
gpgcheck=1
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-$releasever-$basearch
skip_if_unavailable=False
`

func TestRepoFiles(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "etc/yum.repos.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fixed := strings.Replace(fedoraRepo, "$basearch\nenabled", "$basearch&location=$location\nenabled", 1)
	files := map[string]struct {
		content string
		mode    os.FileMode
		want    string
	}{
		"fedora.repo":         {fedoraRepo, 0o644, fixed},
		"private.repo":        {strings.Replace(fedoraRepo, "[fedora]", "[private]", 1), 0o600, strings.Replace(fixed, "[fedora]", "[private]", 1)},
		"done.repo":           {fixed, 0o644, fixed},
		"baseurl.repo":        {"[local]\nbaseurl=file:///srv/repo\n", 0o644, "[local]\nbaseurl=file:///srv/repo\n"},
		"fedora.repo.rpmsave": {fedoraRepo, 0o644, fedoraRepo},
	}
	for name, f := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(f.content), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("fedora.repo", filepath.Join(dir, "link.repo")); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	check := func(wantErr error, wantStdout string) {
		t.Helper()
		var stdout bytes.Buffer
		err := repoFiles(repoFilesConfig{Root: root, ReposDir: "/etc/yum.repos.d", Check: true}, log, &stdout)
		if !errors.Is(err, wantErr) || (wantErr == nil && err != nil) {
			t.Errorf("--check: %v, want %v", err, wantErr)
		}
		if stdout.String() != wantStdout {
			t.Errorf("--check printed %q, want %q", stdout.String(), wantStdout)
		}
	}

	check(errNeedsChange, filepath.Join(dir, "fedora.repo")+"\n"+filepath.Join(dir, "private.repo")+"\n")
	if got, _ := os.ReadFile(filepath.Join(dir, "fedora.repo")); string(got) != fedoraRepo {
		t.Fatal("--check changed a file")
	}
	if err := repoFiles(repoFilesConfig{Root: root, ReposDir: "/etc/yum.repos.d"}, log, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	for name, f := range files {
		path := filepath.Join(dir, name)
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != f.want {
			t.Errorf("%s:\n got %q\nwant %q", name, got, f.want)
		}
		if info, err := os.Stat(path); err != nil || info.Mode().Perm() != f.mode {
			t.Errorf("%s: mode %v, want %v (%v)", name, info.Mode().Perm(), f.mode, err)
		}
	}
	if info, err := os.Lstat(filepath.Join(dir, "link.repo")); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("link.repo is no longer a symbolic link (%v)", err)
	}
	check(nil, "")
}

func TestRepoFilesMissingDir(t *testing.T) {
	err := repoFiles(repoFilesConfig{Root: t.TempDir(), ReposDir: "/etc/yum.repos.d", Check: true},
		slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)), &bytes.Buffer{})
	if err != nil {
		t.Errorf("no repository directory: %v, want nil", err)
	}
}

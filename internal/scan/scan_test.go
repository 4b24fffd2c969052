package scan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/store"
)

const repomd = `<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1700000000</revision>
  <data type="primary"><timestamp>1700000100</timestamp></data>
  <data type="filelists"><timestamp>1700000300</timestamp></data>
  <data type="other"><timestamp>1700000200</timestamp></data>
</repomd>
`

func write(t *testing.T, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTreeMapsFedoraLayout(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{
		"releases/41/Everything/x86_64/os",
		"releases/41/Everything/source/tree",
		"updates/41/Everything/aarch64",
		"updates/testing/41/Everything/x86_64",
		"development/rawhide/Everything/x86_64/os",
		"odd/place",
	} {
		write(t, root, d+"/repodata/repomd.xml", repomd)
	}
	write(t, root, "releases/41/Everything/x86_64/os/Packages/a.rpm", "x")
	write(t, root, "not-repodata/repomd.xml", repomd)
	got, err := Tree(root, store.NewMapper([]store.ScanRule{{Pattern: `^odd/(\w+)$`, Repo: "odd-$1", Arch: "noarch"}}))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"releases/41/Everything/x86_64/os":         "fedora-41/x86_64",
		"releases/41/Everything/source/tree":       "fedora-source-41/source",
		"updates/41/Everything/aarch64":            "updates-released-f41/aarch64",
		"updates/testing/41/Everything/x86_64":     "updates-testing-f41/x86_64",
		"development/rawhide/Everything/x86_64/os": "rawhide/x86_64",
		"odd/place": "odd-place/noarch",
	}
	if len(got) != len(want) {
		t.Fatalf("found %d directories, want %d: %+v", len(got), len(want), got)
	}
	for _, s := range got {
		if w := want[s.Directory]; s.Repo+"/"+s.Arch != w {
			t.Errorf("%s mapped to %s/%s, want %s", s.Directory, s.Repo, s.Arch, w)
		}
		if s.Repomd.Timestamp != 1700000300 || s.Repomd.Size != int64(len(repomd)) || len(s.Repomd.SHA512) != 128 {
			t.Errorf("%s: %+v", s.Directory, s.Repomd)
		}
	}
}

func TestTimestamp(t *testing.T) {
	cases := []struct {
		name, doc string
		want      int64
		err       string
	}{
		{"newest data", repomd, 1700000300, ""},
		{"revision only", `<repomd><revision>42</revision></repomd>`, 42, ""},
		{"float timestamps", `<repomd><data><timestamp>1700000000.5</timestamp></data></repomd>`, 1700000000, ""},
		{"nothing", `<repomd/>`, 0, ""},
		{"not xml", `{"repomd": 1}`, 0, "not XML"},
		{"other root", `<html><body/></html>`, 0, "not a repomd"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Timestamp([]byte(c.doc))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("got %d, %v; want %d", got, err, c.want)
			}
		})
	}
}

func TestBrokenRepomdFailsTheScan(t *testing.T) {
	root := t.TempDir()
	write(t, root, "releases/41/Everything/x86_64/os/repodata/repomd.xml", "<html>")
	if _, err := Tree(root, store.NewMapper(nil)); err == nil {
		t.Fatal("a damaged repomd.xml was recorded")
	}
}

func FuzzTimestamp(f *testing.F) {
	f.Add([]byte(repomd))
	f.Add([]byte(`<repomd><data><timestamp>x</timestamp></data></repomd>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := Timestamp(b)
		if err != nil && ts != 0 {
			t.Fatalf("timestamp %d with error %v", ts, err)
		}
	})
}

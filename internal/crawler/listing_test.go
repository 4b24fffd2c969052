package crawler

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseListing(t *testing.T) {
	at := time.Date(2026, 11, 30, 2, 38, 48, 0, time.UTC)
	cases := []struct {
		name, in string
		want     []Entry
		err      string
	}{
		{"rsync 3.5 output", "drwxr-xr-x        4096 2026/11/30 02:38:48 .\n" +
			"-rw-r--r--           3 2026/11/30 02:38:48 a/b/repodata/repomd.xml\n",
			[]Entry{{Name: ".", Size: 4096, ModTime: at, Type: 'd'}, {Name: "a/b/repodata/repomd.xml", Size: 3, ModTime: at, Type: '-'}}, ""},
		{"digit groups", "-rw-r--r--       3,412 2026/11/30 02:38:48 repomd.xml\n",
			[]Entry{{Name: "repomd.xml", Size: 3412, ModTime: at, Type: '-'}}, ""},
		{"spaces and escapes in names", "-rw-r--r--  1 2026/11/30 02:38:48 my dir/x\\#011y\n",
			[]Entry{{Name: "my dir/x\ty", Size: 1, ModTime: at, Type: '-'}}, ""},
		{"symbolic link", "lrwxrwxrwx  7 2026/11/30 02:38:48 latest -> 43/os\n",
			[]Entry{{Name: "latest", Size: 7, ModTime: at, Type: 'l'}}, ""},
		{"empty lines", "\n\n", nil, ""},
		{"motd", "Welcome to our mirror\n", nil, "line 1"},
		{"bad size", "-rw-r--r--  x 2026/11/30 02:38:48 a\n", nil, "not a size"},
		{"negative size", "-rw-r--r--  -1 2026/11/30 02:38:48 a\n", nil, "not a size"},
		{"bad date", "-rw-r--r--  1 2026-11-30 02:38:48 a\n", nil, "not a date"},
		{"fraction of a second", "-rw-r--r--  1 2026/11/30 02:38:48,5 a\n", nil, "not a date"},
		{"one-digit hour", "-rw-r--r--  1 2026/11/30 2:38:48 a\n", nil, "not a date"},
		{"no name", "-rw-r--r--  1 2026/11/30 02:38:48 \n", nil, "no name"},
		{"bad permissions", "rw-r--r--  1 2026/11/30 02:38:48 a\n", nil, "permission"},
		{"bad escape", "-rw-r--r--  1 2026/11/30 02:38:48 a\\#9zz\n", nil, "bad escape"},
		{"line too long", "-rw-r--r--  1 2026/11/30 02:38:48 " + strings.Repeat("a", maxListingLine) + "\n", nil, "too long"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseListing(strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseListing: a listing is network input. Parsing never panics,
// and an accepted entry has a name, a size that is not negative, and
// comes back the same when printed as rsync prints it (names aside,
// whose escapes are decoded).
func FuzzParseListing(f *testing.F) {
	f.Add("drwxr-xr-x        4096 2026/11/30 02:38:48 .\n-rw-r--r--           3 2026/11/30 02:38:48 a/repodata/repomd.xml\n")
	f.Add("lrwxrwxrwx  7 2026/11/30 02:38:48 latest -> 43/os\n")
	f.Add("-rw-r--r--  1,234 2026/11/30 02:38:48 x\\#011y\n")
	f.Add("@ERROR: Unknown module 'x'\n")
	f.Fuzz(func(t *testing.T, in string) {
		entries, err := ParseListing(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.Name == "" || e.Size < 0 || !strings.ContainsRune("-dlcbps", rune(e.Type)) {
				t.Fatalf("accepted %+v from %q", e, in)
			}
			line := string(e.Type) + "rw-r--r-- " + itoa(e.Size) + " " + e.ModTime.UTC().Format("2006/01/02 15:04:05") + " x"
			again, err := ParseListing(strings.NewReader(line))
			if err != nil || len(again) != 1 || again[0].Size != e.Size || !again[0].ModTime.Equal(e.ModTime) {
				t.Fatalf("%q does not parse back as %+v: %v %+v", line, e, err, again)
			}
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

package metalink

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

const (
	isoDir  = "releases/41/Workstation/x86_64/iso"
	isoName = "Fedora-Workstation-Live-x86_64-41-1.4.iso"
	isoPath = isoDir + "/" + isoName
	isoSHA  = "8a4b2e4b3cf4b7d8f3d2c1b0a9f8e7d6c5b4a3928170605f4e3d2c1b0a9f8e7d"
)

// treeSnapshot is the fixture with a recorded tree: release 41's
// Workstation ISO directory, a directory inside the repository, one
// belonging to no repository, and two images.
func treeSnapshot(t testing.TB) *Snapshot {
	t.Helper()
	d := fixture()
	d.TreeDirectories = []string{
		"other", "other/stuff", "releases", "releases/41", "releases/41/Everything", "releases/41/Everything/x86_64",
		dirF41, dirF41 + "/images", dirF41 + "/Packages", "releases/41/Workstation", "releases/41/Workstation/x86_64", isoDir,
	}
	d.Files = []store.TreeFile{
		{Path: dirF41 + "/images/boot.iso", Size: 1234, MTime: 1729000001},
		{Path: isoPath, Size: 2398523392, MTime: 1729000000, SHA256: isoSHA},
	}
	d.Normalize()
	if err := d.Validate(); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return NewSnapshot(d, testNow)
}

func treeAnswer(t *testing.T, query string, isMetalink bool, c Client, o Options) Response {
	t.Helper()
	q := ParseQuery(query)
	o.Minimum, o.Rand, o.Now = DefaultMinimum, seeded(), testNow
	return Answer(nil, treeSnapshot(t), &q, isMetalink, c, o)
}

// TestFileMetalinkGolden pins the metalink of an ISO: by default the
// layout of Fedora's server for any file but repomd.xml plus the one-piece
// <pieces> element, with FedoraFileLayout exactly Fedora's layout (the
// golden file differs from the default one by that element alone), and
// its Metalink 4.
func TestFileMetalinkGolden(t *testing.T) {
	r := treeAnswer(t, "path="+isoPath, true, de, Options{FedoraFileLayout: true})
	if r.Status != http.StatusOK || r.ContentType != MetalinkType {
		t.Fatalf("status %d %s: %s", r.Status, r.ContentType, r.Body)
	}
	golden(t, "metalink-file.xml", r.Body)
	exact := string(r.Body)
	r = treeAnswer(t, "path="+isoPath, true, de, Options{})
	if r.Status != http.StatusOK || r.ContentType != MetalinkType {
		t.Fatalf("status %d %s: %s", r.Status, r.ContentType, r.Body)
	}
	golden(t, "metalink-file-pieces.xml", r.Body)
	const piece = "    <pieces length=\"2398523392\" type=\"sha256\">\n" +
		"     <hash piece=\"0\">8a4b2e4b3cf4b7d8f3d2c1b0a9f8e7d6c5b4a3928170605f4e3d2c1b0a9f8e7d</hash>\n" +
		"    </pieces>\n"
	if got := strings.Replace(string(r.Body), piece, "", 1); got != exact {
		t.Errorf("the default file metalink is not Fedora's layout plus one <pieces> element:\n%s", cmp.Diff(exact, got))
	}
	r = treeAnswer(t, "path="+isoPath+"&meta4=1", true, de, Options{})
	if r.Status != http.StatusOK || r.ContentType != Metalink4Type {
		t.Fatalf("meta4: status %d %s: %s", r.Status, r.ContentType, r.Body)
	}
	golden(t, "meta4-file.meta4", r.Body)
}

// TestTreePaths pins what path= reaches: any recorded directory, a file in
// one, with or without the mount prefix, and what it does not.
func TestTreePaths(t *testing.T) {
	mount := Options{MountPrefix: "pub/fedora/linux"}
	tests := []struct {
		name     string
		query    string
		metalink bool
		o        Options
		status   int
		// want is in the body, or the redirect's Location.
		want string
	}{
		{"iso directory", "path=" + isoDir + "/", false, Options{}, 200, "https://de1.example/pub/" + isoDir + "/\n"},
		{"iso directory without slash", "path=" + isoDir, false, Options{}, 200, "https://de1.example/pub/" + isoDir + "/\n"},
		{"release root", "path=releases/41", false, Options{}, 200, "https://de1.example/pub/releases/41/\n"},
		{"redirect to the iso", "path=" + isoPath + "&redirect=1", false, Options{}, 302,
			"https://de1.example/pub/" + isoPath},
		{"redirect with the mount prefix", "path=pub/fedora/linux/" + isoPath + "&redirect=1", false, mount, 302,
			"https://de1.example/pub/" + isoPath},
		{"redirect to a directory", "path=/pub/fedora/linux/" + isoDir + "/&redirect=1", false, mount, 302,
			"https://de1.example/pub/" + isoDir + "/"},
		{"file without details", "path=" + isoDir + "/Fedora-41-CHECKSUM", false, Options{}, 200,
			"https://de1.example/pub/" + isoDir + "/Fedora-41-CHECKSUM\n"},
		{"file in a repository", "path=" + dirF41 + "/images/boot.iso", true, Options{}, 200,
			"https://de1.example/pub/" + dirF41 + "/images/boot.iso</url>"},
		{"iso metalink with the mount prefix", "path=pub/fedora/linux/" + isoPath, true, mount, 200,
			`<file name="` + isoName + `">`},
		{"mount prefix not configured", "path=pub/fedora/linux/" + isoPath, true, Options{}, 404, "error: invalid path"},
		{"no metalink for a directory", "path=" + isoDir, true, Options{}, 404, isoDir + " not found or has not metalink"},
		{"no metalink without details", "path=" + isoDir + "/x.iso", true, Options{}, 404, " not found or has not metalink"},
		{"unknown directory", "path=releases/41/nope/deep/x.iso", false, Options{}, 404, "error: invalid path"},
		{"file below a file", "path=" + isoPath + "/x", false, Options{}, 404, "error: invalid path"},
		{"directory of no repository", "path=other/stuff/", false, Options{}, 200, "https://de1.example/pub/other/stuff/\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := treeAnswer(t, tt.query, tt.metalink, de, tt.o)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			got := string(r.Body)
			if r.Status == http.StatusFound {
				got = r.Location
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("answer lacks %q:\n%s", tt.want, got)
			}
		})
	}
}

// TestTreeBelongs pins which mirrors carry a directory that is no
// repository directory: those carrying a repository under its release root
// (here the regional bucket, fresh for fedora-41), and for a directory
// belonging to no repository only the always-up-to-date ones.
func TestTreeBelongs(t *testing.T) {
	guest := Client{Country: "US"}
	for _, tt := range []struct {
		path   string
		bucket bool
	}{
		{isoDir + "/", true},
		{isoPath, true},
		{"releases/41/", true},
		{dirF41 + "/Packages/", true},
		{"other/stuff/", false},
	} {
		r := treeAnswer(t, "path="+tt.path+"&location=us-east-1", false, guest, Options{})
		first, _, _ := strings.Cut(strings.SplitN(string(r.Body), "\n", 3)[1], "\n")
		has := strings.Contains(string(r.Body), "bucket.s3.us-east-1.amazonaws.com")
		if has != tt.bucket || (tt.bucket && !strings.HasPrefix(first, "https://bucket.s3")) {
			t.Errorf("%s: regional bucket listed %v (first %q), want %v:\n%s", tt.path, has, first, tt.bucket, r.Body)
		}
		if strings.Contains(string(r.Body), "stale.example") {
			t.Errorf("%s: lists a mirror fresh for no repository:\n%s", tt.path, r.Body)
		}
	}
}

// TestTreeAbsentKeepsAnswers pins that a snapshot with no recorded tree
// answers path= as before: only below repository directories.
func TestTreeAbsentKeepsAnswers(t *testing.T) {
	q := ParseQuery("path=" + isoDir + "/")
	r := Answer(nil, fixtureSnapshot(t), &q, false, de, Options{Minimum: DefaultMinimum, Rand: seeded(), Now: testNow})
	if r.Status != http.StatusNotFound {
		t.Errorf("status %d, want 404: %s", r.Status, r.Body)
	}
}

// TestTreeMountPrefixOnStoredPaths pins the other direction of the mount
// prefix: a store whose directories carry pub/fedora/linux (a scan of the
// tree above it) answers path= sent without it.
func TestTreeMountPrefixOnStoredPaths(t *testing.T) {
	const mount = "pub/fedora/linux"
	d := fixture()
	for i := range d.Repositories {
		d.Repositories[i].Directory = mount + "/" + d.Repositories[i].Directory
	}
	for i := range d.Directories {
		d.Directories[i].Path = mount + "/" + d.Directories[i].Path
	}
	for i := range d.Freshness {
		d.Freshness[i].Directory = mount + "/" + d.Freshness[i].Directory
	}
	d.TreeDirectories = []string{mount + "/" + isoDir}
	d.Files = []store.TreeFile{{Path: mount + "/" + isoPath, Size: 10, MTime: 1, SHA256: isoSHA}}
	d.Normalize()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	snap := NewSnapshot(d, testNow)
	for _, path := range []string{isoPath, mount + "/" + isoPath} {
		q := ParseQuery("path=" + path + "&redirect=1")
		r := Answer(nil, snap, &q, false, de, Options{Minimum: DefaultMinimum, Rand: seeded(), Now: testNow, MountPrefix: mount})
		if want := "https://de1.example/pub/" + mount + "/" + isoPath; r.Status != http.StatusFound || r.Location != want {
			t.Errorf("path=%s: %d %q, want 302 to %s", path, r.Status, r.Location, want)
		}
	}
}

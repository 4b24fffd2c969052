package metalink

import (
	"encoding/xml"
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

func answer(t *testing.T, raw string, isMetalink bool, c Client) Response {
	t.Helper()
	q := ParseQuery(raw)
	return Answer(nil, fixtureSnapshot(t), &q, isMetalink, c, Options{Minimum: DefaultMinimum, Rand: seeded(), Now: testNow})
}

var de = Client{Addr: netip.MustParseAddr("192.0.2.10"), Country: "DE"}

// TestGolden pins the exact bytes of representative answers.
func TestGolden(t *testing.T) {
	cases := []struct {
		name     string
		query    string
		metalink bool
		client   Client
		status   int
	}{
		{"metalink-location.xml", "repo=fedora-41&arch=x86_64&location=us-east-1", true, de, 200},
		{"metalink-literal-location.xml", "repo=fedora-41&arch=x86_64&location=$location", true, de, 200},
		{"metalink-netblock.xml", "repo=fedora-41&arch=x86_64", true, Client{Addr: netip.MustParseAddr("198.51.100.7"), Country: "DE"}, 200},
		{"metalink-protocol.xml", "repo=fedora-41&arch=x86_64&protocol=http", true, de, 200},
		{"metalink-unknown-repo.xml", "repo=fedora-99&arch=x86_64", true, de, 404},
		{"metalink-missing.xml", "arch=x86_64", true, de, 200},
		{"metalink-disabled.xml", "repo=fedora-off&arch=x86_64", true, de, 200},
		{"metalink-unscanned.xml", "repo=unscanned&arch=x86_64", true, de, 404},
		{"mirrorlist-country.txt", "repo=fedora-41&arch=x86_64&country=fr", false, de, 200},
		{"mirrorlist-geoip.txt", "repo=fedora-41&arch=x86_64&time=1", false, de, 200},
		{"mirrorlist-location.txt", "repo=fedora-41&arch=x86_64&location=us-east-1", false, Client{}, 200},
		{"mirrorlist-path-file.txt", "path=/releases/41//Everything/x86_64/os/Packages/f/foo.rpm", false, de, 200},
		{"mirrorlist-asn.txt", "repo=fedora-41&arch=x86_64", false, Client{Addr: netip.MustParseAddr("100.64.0.1"), Country: "GB", ASN: 64500}, 200},
		{"mirrorlist-unknown-repo.txt", "repo=nope&arch=x86_64", false, de, 404},
		{"meta4-location.meta4", "repo=fedora-41&arch=x86_64&location=us-east-1&meta4=1", true, de, 200},
		{"meta4-netblock.meta4", "repo=fedora-41&arch=x86_64&meta4=1", true, Client{Addr: netip.MustParseAddr("198.51.100.7"), Country: "DE"}, 200},
		{"meta4-protocol.meta4", "repo=fedora-41&arch=x86_64&protocol=https&meta4=1", true, de, 200},
		{"meta4-unknown-repo.meta4", "repo=fedora-99&arch=x86_64&meta4=1", true, de, 404},
		{"meta4-missing.meta4", "arch=x86_64&meta4=1", true, de, 200},
		{"meta4-unscanned.meta4", "repo=unscanned&arch=x86_64&meta4=1", true, de, 404},
		{"mirrorlist-meta4-ignored.txt", "repo=fedora-41&arch=x86_64&country=fr&meta4=1", false, de, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := answer(t, c.query, c.metalink, c.client)
			if r.Status != c.status {
				t.Errorf("status %d, want %d", r.Status, c.status)
			}
			wantType := MirrorlistType
			if c.metalink {
				wantType = MetalinkType
				if strings.HasSuffix(c.name, ".meta4") {
					wantType = Metalink4Type
				}
				var doc struct{ XMLName xml.Name }
				if err := xml.Unmarshal(r.Body, &doc); err != nil {
					t.Errorf("not well-formed XML: %v", err)
				}
			}
			if r.ContentType != wantType {
				t.Errorf("content type %q, want %q", r.ContentType, wantType)
			}
			golden(t, c.name, r.Body)
		})
	}
}

func TestRedirect(t *testing.T) {
	r := answer(t, "repo=fedora-41&arch=x86_64&redirect=1&country=DE", false, de)
	if r.Status != http.StatusFound || !strings.HasPrefix(r.Location, "http") || !strings.HasSuffix(r.Location, "/"+dirF41+"/") {
		t.Fatalf("got %d %q, want 302 to a mirror's directory", r.Status, r.Location)
	}
	if strings.Contains(r.Location, "stale.example") {
		t.Errorf("redirected to a mirror without the content: %s", r.Location)
	}
	r = answer(t, "path=releases/41/Everything/x86_64/os/repodata/repomd.xml&redirect=1&country=DE", false, de)
	if r.Status != http.StatusFound || !strings.HasSuffix(r.Location, "/repodata/repomd.xml") {
		t.Errorf("file redirect: got %d %q", r.Status, r.Location)
	}
}

func TestPathErrors(t *testing.T) {
	for _, p := range []string{"releases/42", "nothere", "releases/41/Everything/x86_64/os/../../../../etc", "releases/41/Everything/x86_64/os/a%0Ab"} {
		r := answer(t, "path="+p, false, de)
		if r.Status != http.StatusNotFound || string(r.Body) != "error: invalid path" {
			t.Errorf("path=%s: got %d %q, want 404 invalid path", p, r.Status, r.Body)
		}
	}
	r := answer(t, "path=releases/41/Everything/x86_64/os/Packages/foo.rpm", true, de)
	if r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), "not found or has not metalink") {
		t.Errorf("metalink for a package: got %d %s", r.Status, r.Body)
	}
	r = answer(t, "path=releases/41/Everything/x86_64/os/repodata/repomd.xml", true, de)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "/"+dirF41+"/repodata/repomd.xml</url>") {
		t.Errorf("metalink by path: got %d %s", r.Status, r.Body)
	}
}

func TestSourceRepoForcesSourceArch(t *testing.T) {
	r := answer(t, "repo=fedora-source-41&arch=x86_64", false, de)
	if r.Status != 200 || !strings.HasPrefix(string(r.Body), "# repo = fedora-source-41 arch = source ") {
		t.Errorf("got %d %q", r.Status, r.Body)
	}
}

func TestRepoRedirect(t *testing.T) {
	r := answer(t, "repo=fedora-rawhide&arch=x86_64", false, de)
	if r.Status != 200 || !strings.HasPrefix(string(r.Body), "# repo = fedora-41 arch = x86_64 ") {
		t.Errorf("got %d %q", r.Status, r.Body)
	}
}

func TestEchoedValuesCannotInjectLines(t *testing.T) {
	r := answer(t, "repo=x%0Ahttp://evil.example/&arch=x86_64", false, de)
	for _, line := range strings.Split(string(r.Body), "\n") {
		if strings.HasPrefix(line, "http") {
			t.Fatalf("injected line %q in %q", line, r.Body)
		}
	}
	r = answer(t, "repo=--%3E%3Cx%3E&arch=x86_64", true, de)
	var doc struct{ XMLName xml.Name }
	if err := xml.Unmarshal(r.Body, &doc); err != nil {
		t.Errorf("failure document is not well-formed: %v\n%s", err, r.Body)
	}
}

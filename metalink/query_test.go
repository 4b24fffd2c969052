package metalink

import (
	"net/http"
	"strings"
	"testing"
)

func TestQueryInvalid(t *testing.T) {
	cases := []struct {
		query, want string
	}{
		{"repo=fedora-41&arch=x86_64", ""},
		{"repo=fedora-source-41&arch=x86_64&protocol=https,HTTP&country=de,global", ""},
		{"repo=fedora-$releasever&arch=$basearch&protocol=https, http,&cc=FR,", ""},
		{"repo=epel-debug-9%2Bx.y&arch=aarch64&protocol=&country=", ""},
		{"path=releases/41&protocol=rsync,ftp", ""},
		{"repo=fedora-41&arch=x86_64&protocol=%0Ahttps://evil.example/pwn", "protocol"},
		{"repo=fedora-41&arch=x86_64&protocol=https%0A", "protocol"},
		{"repo=fedora-41&arch=x86_64&protocol=gopher", "protocol"},
		{"repo=fedora-41&arch=x86_64&protocol=https%09", "protocol"},
		{"repo=fedora-41&arch=x86_64&country=DEU", "country"},
		{"repo=fedora-41&arch=x86_64&cc=d%0A", "country"},
		{"repo=fedora-41&arch=x86_64&country=1e", "country"},
		{"repo=fedora%0Ahttp://evil.example/&arch=x86_64", "repo"},
		{"repo=a/b&arch=x86_64", "repo"},
		{"repo=" + strings.Repeat("a", 129) + "&arch=x86_64", "repo"},
		{"repo=fedora-41&arch=x86-64", "arch"},
		{"repo=fedora-41&arch=%3Cx%3E", "arch"},
	}
	for _, c := range cases {
		q := ParseQuery(c.query)
		if got := q.Invalid(); got != c.want {
			t.Errorf("%q: Invalid() = %q, want %q", c.query, got, c.want)
		}
	}
}

// TestProtocolInjection is the reported attack: a line break in protocol=
// made librepo take the next line as the first mirror. Such a query gets
// the bad-input answer, with nothing of the value in it.
func TestProtocolInjection(t *testing.T) {
	for _, isMetalink := range []bool{false, true} {
		r := answer(t, "repo=fedora-41&arch=x86_64&protocol=%0Ahttps://evil.example/pwn", isMetalink, de)
		if r.Status != http.StatusOK || strings.Contains(string(r.Body), "evil.example") || !strings.Contains(string(r.Body), "# invalid value of protocol=") {
			t.Errorf("metalink=%v: got %d %q", isMetalink, r.Status, r.Body)
		}
	}
}

// TestQueryPlusIsNotSpace pins how values are decoded: percent-escapes are
// decoded, a '+' stays a '+' (Fedora's server reads values verbatim and
// dnf and curl send them as written), and a broken escape is kept as sent.
func TestQueryPlusIsNotSpace(t *testing.T) {
	cases := []struct{ query, want string }{
		{"path=Packages/l/libstdc++-14.2.1-3.fc41.x86_64.rpm", "Packages/l/libstdc++-14.2.1-3.fc41.x86_64.rpm"},
		{"path=Packages/l/libstdc%2B%2B-14.rpm", "Packages/l/libstdc++-14.rpm"},
		{"path=a%20b+c", "a b+c"},
		{"path=a%zzb+", "a%zzb+"},
	}
	for _, c := range cases {
		if q := ParseQuery(c.query); q.Path != c.want {
			t.Errorf("%q: Path = %q, want %q", c.query, q.Path, c.want)
		}
	}
	if q := ParseQuery("repo=epel-9+x&arch=x86_64"); q.Repo != "epel-9+x" {
		t.Errorf("repo = %q, want epel-9+x", q.Repo)
	}
}

// TestRedirectKeepsPlus is the reported case: a redirect for libstdc++
// named a file with two spaces. The file part comes back as the client's
// URL named it.
func TestRedirectKeepsPlus(t *testing.T) {
	const dir = "releases/41/Everything/x86_64/os/Packages/l/"
	cases := []struct{ path, wantSuffix string }{
		{dir + "libstdc++-14.2.1-3.fc41.x86_64.rpm", "/" + dir + "libstdc++-14.2.1-3.fc41.x86_64.rpm"},
		{dir + "libstdc%2B%2B-14.2.1-3.fc41.x86_64.rpm", "/" + dir + "libstdc++-14.2.1-3.fc41.x86_64.rpm"},
		{dir + "a%20b%25c.rpm", "/" + dir + "a%20b%25c.rpm"},
	}
	for _, c := range cases {
		r := answer(t, "path="+c.path+"&redirect=1&country=DE", false, de)
		if r.Status != http.StatusFound || !strings.HasSuffix(r.Location, c.wantSuffix) {
			t.Errorf("path=%s: got %d %q, want 302 to …%s", c.path, r.Status, r.Location, c.wantSuffix)
		}
	}
}

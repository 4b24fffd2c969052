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

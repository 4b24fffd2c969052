package server

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/demo"
	"github.com/metalinkd/metalinkd/internal/geoip"
	"github.com/metalinkd/metalinkd/metalink"
)

// fakeGeo answers from a fixed table (the real mmdb reader is tested in geoip).
type fakeGeo map[netip.Addr]geoip.Result

func (f fakeGeo) Lookup(a netip.Addr) geoip.Result { return f[a] }

func demoServer(t testing.TB, opts Options) *httptest.Server {
	t.Helper()
	d, err := demo.Dataset(time.Unix(1_795_600_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	geo := fakeGeo{netip.MustParseAddr("192.0.2.1"): {Country: "DE"}}
	if opts.Rand == nil {
		opts.Rand = rand.New(rand.NewPCG(1, 1))
	}
	s := New(NewStaticReloader(metalink.NewSnapshot(d, time.Now())), geo, slog.New(slog.DiscardHandler), opts)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func firstURL(body string) string {
	_, rest, ok := strings.Cut(body, "<url ")
	if !ok {
		return ""
	}
	_, rest, _ = strings.Cut(rest, ">")
	u, _, _ := strings.Cut(rest, "<")
	return u
}

func TestMetalinkLocationFirst(t *testing.T) {
	ts := demoServer(t, Options{})
	resp, body := get(t, ts.URL+"/metalink?repo=fedora-41&arch=x86_64&location=us-east-1&countme=2", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/metalink+xml" {
		t.Fatalf("got %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if u := firstURL(body); !strings.Contains(u, "metalinkd-demo-us-east-1.s3") {
		t.Errorf("first URL %q, want the us-east-1 bucket", u)
	}
	_, body = get(t, ts.URL+"/metalink?repo=fedora-41&arch=x86_64&location=$location", nil)
	if strings.Contains(body, ".s3.") {
		t.Errorf("a literal $location listed a regional bucket:\n%s", body)
	}
}

func TestAnyPathEndingInMetalinkOrMirrorlist(t *testing.T) {
	ts := demoServer(t, Options{})
	for path, want := range map[string]int{
		"/pub/fedora/metalink": 200, "/mirrorlist": 200, "/x/y/mirrorlist": 200,
		"/metalinks": 404, "/": 404, "/favicon.ico": 404,
	} {
		resp, _ := get(t, ts.URL+path+"?repo=fedora-41&arch=x86_64", nil)
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

func TestClientAddress(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	cases := []struct {
		name    string
		trusted []netip.Prefix
		allowIP bool
		query   string
		xff     string
		wantDE  bool
	}{
		{"ip= ignored by default", nil, false, "&ip=192.0.2.1", "", false},
		{"ip= honoured when allowed", nil, true, "&ip=192.0.2.1", "", true},
		{"ip= honoured from a trusted proxy", trusted, false, "&ip=192.0.2.1", "", true},
		{"ip= with a zone and mapped", nil, true, "&ip=::ffff:192.0.2.1%25eth0", "", true},
		{"XFF ignored from untrusted peer", nil, false, "", "192.0.2.1", false},
		{"XFF honoured from trusted peer", trusted, false, "", "192.0.2.1", true},
		{"right-most untrusted XFF entry", trusted, false, "", "192.0.2.1, 127.0.0.5", true},
		{"spoofed left entry ignored", trusted, false, "", "192.0.2.1, 198.51.100.9", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := demoServer(t, Options{TrustedProxies: c.trusted, AllowIPParam: c.allowIP})
			hdr := map[string]string{}
			if c.xff != "" {
				hdr["X-Forwarded-For"] = c.xff
			}
			_, body := get(t, ts.URL+"/mirrorlist?repo=fedora-41&arch=x86_64"+c.query, hdr)
			header, _, _ := strings.Cut(body, "\n")
			if got := strings.Contains(header, "country = DE "); got != c.wantDE {
				t.Errorf("header %q: treated as the German client = %v, want %v", header, got, c.wantDE)
			}
		})
	}
}

// TestIPParameterCannotReachPrivateMirrors is the reported bypass: ip= in a
// private mirror's netblock listed it to anyone. Even where ip= is
// honoured, only the real address selects private mirrors.
func TestIPParameterCannotReachPrivateMirrors(t *testing.T) {
	for _, allow := range []bool{false, true} {
		ts := demoServer(t, Options{AllowIPParam: allow})
		_, body := get(t, ts.URL+"/metalink?repo=fedora-41&arch=x86_64&ip=198.51.100.7", nil)
		if strings.Contains(body, "campus.example") || strings.Contains(body, `mm0:private="True"`) {
			t.Errorf("AllowIPParam=%v: ip= listed a private mirror:\n%s", allow, body)
		}
	}
	ts := demoServer(t, Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	_, body := get(t, ts.URL+"/metalink?repo=fedora-41&arch=x86_64", map[string]string{"X-Forwarded-For": "198.51.100.7"})
	if u := firstURL(body); !strings.Contains(u, "campus.example") {
		t.Errorf("first URL %q for a real campus address, want the campus mirror", u)
	}
}

func TestBadIPParameter(t *testing.T) {
	ts := demoServer(t, Options{AllowIPParam: true})
	resp, body := get(t, ts.URL+"/metalink?repo=fedora-41&arch=x86_64&ip=not-an-ip", nil)
	if resp.StatusCode != 400 || !strings.Contains(body, "<!-- Cannot parse client IP address") {
		t.Errorf("got %d %s", resp.StatusCode, body)
	}
	ts = demoServer(t, Options{})
	if resp, _ := get(t, ts.URL+"/metalink?repo=fedora-41&arch=x86_64&ip=not-an-ip", nil); resp.StatusCode != 200 {
		t.Errorf("ip= not honoured: got %d, want 200 (ignored)", resp.StatusCode)
	}
}

func TestURLTooLong(t *testing.T) {
	ts := demoServer(t, Options{MaxURLLength: 300})
	resp, _ := get(t, ts.URL+"/metalink?repo=fedora-41&arch=x86_64&x="+strings.Repeat("a", 400), nil)
	if resp.StatusCode != http.StatusRequestURITooLong {
		t.Errorf("got %d, want 414", resp.StatusCode)
	}
}

func TestNoCompressionUnlessAsked(t *testing.T) {
	ts := demoServer(t, Options{})
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/metalink?repo=fedora-41&arch=x86_64", nil)
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ce := resp.Header.Get("Content-Encoding"); ce != "" {
		t.Errorf("Content-Encoding %q on a request that did not ask", ce)
	}
}

func TestHeadAndHealth(t *testing.T) {
	ts := demoServer(t, Options{})
	resp, err := http.Head(ts.URL + "/metalink?repo=fedora-41&arch=x86_64")
	if err != nil || resp.StatusCode != 200 || resp.ContentLength <= 0 {
		t.Errorf("HEAD: %v %v", err, resp)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, body := get(t, ts.URL+p, nil)
		if resp.StatusCode != 200 || body == "" {
			t.Errorf("%s: %d %q", p, resp.StatusCode, body)
		}
	}
}

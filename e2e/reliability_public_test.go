package e2e

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
)

// publicCase is one hostile request to /metalink or /mirrorlist and what
// the server must answer.
type publicCase struct {
	name string
	req  request
	want int
	// comment, when set, must appear in the answer: the server answered
	// with a comment (as Fedora's MirrorManager does for bad input), not
	// with mirrors.
	comment string
	// mirrors says the answer must list at least one mirror.
	mirrors bool
}

// anyAnswer is the want of a random case: whichever answer (200, 302 or
// 404) the mix of values gets, its lines are checked.
const anyAnswer = -1

// randomPublicCases are n requests, each a base with one to six hostile
// or good values in random parameters, repeated or not.
func randomPublicCases(n int) []publicCase {
	params := []string{"repo", "arch", "path", "country", "cc", "protocol", "location", "netblock", "ip", "redirect", "time"}
	good := []string{"fedora-41", "x86_64", "global", "https", "us-east-1", "0", "1", "releases/41/Everything/x86_64/os/"}
	cases := make([]publicCase, 0, n)
	for i := range n {
		b := publicBases[rand.IntN(len(publicBases))]
		q := b.query
		for range 1 + rand.IntN(6) {
			v := good[rand.IntN(len(good))]
			if rand.IntN(3) > 0 {
				v = hostileValues[rand.IntN(len(hostileValues))].raw
			}
			q += "&" + params[rand.IntN(len(params))] + "=" + v
		}
		c := publicCase{name: fmt.Sprintf("random %d: %s?%s", i, b.path, q),
			req: request{method: "GET", target: b.path + "?" + q}, want: anyAnswer}
		if len(c.req.target) > 4096 { // the default --max-url-length
			c.want = 414
		}
		cases = append(cases, c)
	}
	return cases
}

// publicBases are the well-formed requests the mutations start from.
var publicBases = []struct {
	name, path, query string
	metalink          bool
}{
	{"metalink repo", "/metalink", "repo=fedora-41&arch=x86_64", true},
	{"mirrorlist repo", "/mirrorlist", "repo=fedora-41&arch=x86_64", false},
	{"mirrorlist path", "/mirrorlist", "path=releases/41/Everything/x86_64/os/", false},
	{"metalink path", "/metalink", "path=releases/41/Everything/x86_64/os/repodata/repomd.xml", true},
}

// hostileValues are query values as sent (percent-encoded where a raw
// byte could not be in a request line). None is a valid repo, arch,
// country, protocol or path: each breaks every grammar.
var hostileValues = []struct{ name, raw string }{
	{"LF", "fedora%0A41"},
	{"CR", "fedora%0D41"},
	{"CRLF header split", "x%0D%0ALocation:%20http://evil.example/%0D%0AX-Injected:%201"},
	{"LF and a mirror line", "x%0Ahttps://evil.example/fedora/"},
	{"NUL", "fedora%0041"},
	{"tab", "fedora%0941"},
	{"DEL", "fedora%7F"},
	{"C1 control", "fedora%C2%85"},
	{"bad UTF-8", "fedora%FF%FE"},
	{"overlong UTF-8 slash", "%C0%AF%C0%AFetc"},
	{"lone surrogate", "%ED%A0%80"},
	{"U+2028", "fedora%E2%80%A841"},
	{"U+FEFF", "%EF%BB%BFfedora"},
	{"bad percent-encoding", "fedora%zz"},
	{"truncated percent-encoding", "fedora%"},
	{"one-digit percent-encoding", "fedora%4"},
	{"XML element", "%3Curl%3Ehttp://evil.example/%3C/url%3E"},
	{"XML comment end", "--%3E%3Cinjected/%3E%3C!--"},
	{"CDATA", "%3C![CDATA[%5D%5D%3E"},
	{"quotes", "%22%27%60"},
	{"entities", "%26amp;%26lt;%26%2310;"},
	{"SQL", "'%20OR%201=1--"},
	{"shell", "$(id);`id`"},
	{"traversal", "../../../etc/passwd"},
	{"encoded traversal", "..%2F..%2F..%2Fetc%2Fpasswd"},
	{"backslash traversal", "..%5C..%5Cwindows"},
	{"absolute URL", "http://evil.example/pub"},
	{"javascript URL", "javascript:alert(1)"},
	{"format verbs", "%25s%25n%25x"},
	{"JSON", "%7B%22a%22:1%7D"},
	{"long value", strings.Repeat("x/", 1000)},
	{"non-ASCII", "f%C3%A9dora"},
	{"fullwidth slash", "fedora%EF%BC%8F41"},
}

// publicCorpus builds the cases: every base with every hostile value in
// every parameter, then the cases about the request as a whole.
func publicCorpus() []publicCase {
	var cases []publicCase
	for _, b := range publicBases {
		ok := func(name, query string) publicCase {
			return publicCase{name: b.name + "/" + name, req: request{method: "GET", target: b.path + "?" + query}, want: 200, mirrors: true}
		}
		for _, v := range hostileValues {
			for _, p := range []string{"repo", "arch", "country", "protocol"} {
				cases = append(cases, publicCase{name: b.name + "/" + p + "=" + v.name,
					req:  request{method: "GET", target: b.path + "?" + b.query + "&" + p + "=" + v.raw},
					want: 200, comment: "invalid value of " + p + "="})
			}
			// A path that names no directory: 404 whatever the base.
			cases = append(cases, publicCase{name: b.name + "/path=" + v.name,
				req: request{method: "GET", target: b.path + "?" + b.query + "&path=" + v.raw}, want: 404})
			// Values never echoed nor honoured from this client: the answer stands.
			for _, p := range []string{"location", "netblock", "ip"} {
				cases = append(cases, ok(p+"="+v.name, b.query+"&"+p+"="+v.raw))
			}
			// The last occurrence wins.
			cases = append(cases, ok("repeated, good last: "+v.name, "country="+v.raw+"&"+b.query+"&country=global"))
		}
		cases = append(cases,
			ok("ip= without permission", b.query+"&ip=198.51.100.7"),
			ok("ip= IPv6 without permission", b.query+"&ip=2001:db8:100::1"),
			ok("empty parameters", b.query+strings.Repeat("&", 500)),
			ok("many unknown parameters", b.query+strings.Repeat("&x=1", 700)),
			ok("unknown parameter with hostile name", b.query+"&%0A%00=%0A"),
			ok("protocol list", b.query+"&protocol=https,http,,HTTPS"),
			ok("country and cc", b.query+"&cc=de&country=global"),
			publicCase{name: b.name + "/too many parameters", req: request{method: "GET", target: b.path + "?" + b.query + strings.Repeat("&x=1", 2000)}, want: 414},
			publicCase{name: b.name + "/overlong value", req: request{method: "GET", target: b.path + "?" + b.query + "&location=" + strings.Repeat("a", 5000)}, want: 414},
			publicCase{name: b.name + "/request line over the header limit", req: request{method: "GET", target: b.path + "?" + b.query + "&x=" + strings.Repeat("a", 100<<10)}, want: 431},
			publicCase{name: b.name + "/one huge header", req: request{method: "GET", target: b.path + "?" + b.query, header: "X-Big: " + strings.Repeat("a", 70<<10) + "\r\n"}, want: 431},
			publicCase{name: b.name + "/thousands of headers", req: request{method: "GET", target: b.path + "?" + b.query, header: strings.Repeat("X-Many: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 2500)}, want: 431},
		)
		// HEAD is answered as GET is, without the body.
		cases = append(cases, publicCase{name: b.name + "/method HEAD", req: request{method: "HEAD", target: b.path + "?" + b.query}, want: 200})
		for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "get"} {
			cases = append(cases, publicCase{name: b.name + "/method " + m, req: request{method: m, target: b.path + "?" + b.query}, want: 405})
		}
		// redirect= sends a mirrorlist client to one mirror of the list
		// whatever its value; a metalink ignores it.
		for _, r := range []string{"1", "http://evil.example/", "%0D%0ALocation:%20http://evil.example/", "0"} {
			c := publicCase{name: b.name + "/redirect=" + r, req: request{method: "GET", target: b.path + "?" + b.query + "&redirect=" + r}, want: 200, mirrors: true}
			if !b.metalink {
				c.want, c.mirrors = 302, false
			}
			cases = append(cases, c)
		}
	}
	for _, u := range []struct {
		name, query string
	}{
		{"unknown repo", "repo=fedora-99&arch=x86_64"},
		{"unknown arch", "repo=fedora-41&arch=sparc"},
		{"unsubstituted variables", "repo=fedora-$releasever&arch=$basearch"},
		{"source repo", "repo=fedora-source-41&arch=x86_64"},
		{"case-changed repo", "repo=FEDORA-41&arch=x86_64"},
	} {
		for _, p := range []string{"/metalink", "/mirrorlist"} {
			cases = append(cases, publicCase{name: p + "/" + u.name, req: request{method: "GET", target: p + "?" + u.query}, want: 404})
		}
	}
	for _, p := range []struct {
		name, target string
		want         int
	}{
		{"no query", "/metalink", 200},
		{"only repo", "/mirrorlist?repo=fedora-41", 200},
		{"dot segments before", "/pub/../metalink?repo=fedora-41&arch=x86_64", 200},
		{"encoded dot segments", "/%2e%2e/%2e%2e/mirrorlist?repo=fedora-41&arch=x86_64", 200},
		{"double slash", "//mirrorlist?repo=fedora-41&arch=x86_64", 200},
		{"trailing slash", "/metalink/?repo=fedora-41&arch=x86_64", 404},
		{"NUL in path", "/metalink%00?repo=fedora-41&arch=x86_64", 404},
		{"encoded slash", "/metalink%2F?repo=fedora-41&arch=x86_64", 404},
		{"upper case", "/METALINK?repo=fedora-41&arch=x86_64", 404},
		{"traversal to a file", "/../../etc/passwd", 404},
		{"path= traversal through a directory", "/mirrorlist?path=releases/41/../../../etc/passwd", 404},
		{"path= encoded traversal", "/mirrorlist?path=releases/41/Everything/x86_64/os/..%2F..%2F..%2F..%2F..%2Fetc", 404},
		{"path= file under a directory", "/metalink?path=releases/41/Everything/x86_64/os/Packages/a.rpm", 404},
	} {
		cases = append(cases, publicCase{name: "path/" + p.name, req: request{method: "GET", target: p.target}, want: p.want})
	}
	return cases
}

// TestReliabilityPublicCorpus sends every hostile request to the real
// binary and checks its status and answer; the store must be unchanged
// at the end, byte for byte.
func TestReliabilityPublicCorpus(t *testing.T) {
	serveEach(t, publicCorpusOn)
}

func publicCorpusOn(t *testing.T, s *storeServer) {
	bases := mirrorBases(t)
	before := s.export(t)
	cases := publicCorpus()
	if len(cases) < 300 {
		t.Fatalf("only %d public cases", len(cases))
	}
	cases = append(cases, randomPublicCases(sized(300, 20000))...)
	statuses := map[int]int{}
	for _, c := range cases {
		resp := rawDo(t, "127.0.0.1", s.addr, c.req)
		statuses[resp.status]++
		if err := c.check(resp, bases); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if got := s.export(t); !bytes.Equal(got, before) {
		t.Errorf("the store's export changed over the public corpus:\nbefore:\n%s\nafter:\n%s", before, got)
	}
	figure(t, "%d public cases; statuses %v", len(cases), statuses)
}

// check returns what is wrong with resp, the answer to c.
func (c publicCase) check(resp response, bases []string) error {
	if resp.err != nil {
		return fmt.Errorf("no whole answer (status %d): %v", resp.status, resp.err)
	}
	if c.want == anyAnswer && resp.status != 200 && resp.status != 302 && resp.status != 404 {
		return fmt.Errorf("status %d, want an answer (200, 302 or 404); body %.300q", resp.status, resp.body)
	}
	if c.want != anyAnswer && resp.status != c.want {
		return fmt.Errorf("status %d, want %d; body %.300q", resp.status, c.want, resp.body)
	}
	if v := resp.header.Get("X-Injected"); v != "" {
		return fmt.Errorf("a header was injected: X-Injected: %s", v)
	}
	if loc := resp.header.Get("Location"); loc != "" && (resp.status != 302 || !hasBase(loc, bases)) {
		return fmt.Errorf("Location %q is not a mirror of the fixture", loc)
	}
	if resp.status == 302 && resp.header.Get("Location") == "" {
		return errors.New("302 without a Location")
	}
	body := string(resp.body)
	if c.comment != "" && !strings.Contains(body, c.comment) {
		return fmt.Errorf("answer lacks %q: %.300q", c.comment, body)
	}
	var urls []string
	var err error
	switch ct := resp.header.Get("Content-Type"); {
	case resp.status >= 400 && protocolErrors[strings.TrimSpace(body)]:
		return nil // the HTTP server's or the router's own refusal, not an answer
	case strings.Contains(ct, "metalink"):
		urls, err = metalinkURLs(resp.body)
	default:
		urls, err = mirrorlistURLs(body)
	}
	if err != nil {
		return err
	}
	for _, u := range urls {
		if !hasBase(u, bases) {
			return fmt.Errorf("answer lists %q, not a mirror of the fixture", u)
		}
	}
	if c.mirrors && len(urls) == 0 {
		return fmt.Errorf("answer lists no mirror: %.300q", body)
	}
	if !c.mirrors && c.comment != "" && len(urls) > 0 {
		return fmt.Errorf("bad input answered with %d mirrors", len(urls))
	}
	return nil
}

// protocolErrors are the whole bodies of refusals made before a request
// reaches the answer.
var protocolErrors = map[string]bool{
	"Request URI Too Long":                 true,
	"431 Request Header Fields Too Large":  true,
	"404 page not found":                   true,
	"Method Not Allowed":                   true,
	http.StatusText(http.StatusBadRequest): true,
	"400 Bad Request":                      true,
}

func hasBase(u string, bases []string) bool {
	for _, b := range bases {
		if strings.HasPrefix(u, b) {
			return true
		}
	}
	return false
}

// mirrorlistURLs returns the URL lines of a mirrorlist answer; any line
// that is neither a comment nor a URL is an error, except the plain
// messages MirrorManager answers a bad path or a disabled repository with.
func mirrorlistURLs(body string) ([]string, error) {
	var urls []string
	for _, line := range strings.Split(body, "\n") {
		switch {
		case line == "", strings.HasPrefix(line, "#") && !strings.ContainsAny(line, "\r\x00"),
			line == "error: invalid path", line == "repo disabled":
		case strings.Contains(line, "://"):
			urls = append(urls, line)
		default:
			return nil, fmt.Errorf("answer line %q is neither a comment nor a mirror", line)
		}
	}
	return urls, nil
}

// metalinkURLs checks that body is well-formed XML and returns the text of
// its url elements.
func metalinkURLs(body []byte) ([]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	var urls []string
	inURL := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return urls, nil
		}
		if err != nil {
			return nil, fmt.Errorf("the metalink is not well-formed XML: %v\n%.500s", err, body)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			inURL = tk.Name.Local == "url"
		case xml.EndElement:
			inURL = false
		case xml.CharData:
			if inURL {
				urls = append(urls, string(tk))
			}
		}
	}
}

package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// adminRoute is one route of the admin API with a valid body for it, the
// base that the body mutations start from.
type adminRoute struct {
	method, path string
	body         string // "" for a route without a body
}

// The demo data's entries the routes name.
const (
	demoMirror = "de-mirror-1"
	demoDir    = "releases/41/Everything/x86_64/os"
)

var adminRoutes = []adminRoute{
	{"GET", "/mirrors", ""},
	{"POST", "/mirrors", `{"name":"new-mirror","country":"DE","bandwidth":100,"enabled":true,"urls":["https://new.example.org/fedora"]}`},
	{"GET", "/mirrors/" + demoMirror, ""},
	{"PUT", "/mirrors/" + demoMirror, `{"name":"` + demoMirror + `","country":"DE","bandwidth":5,"enabled":true,"urls":["https://changed.example.org/fedora"]}`},
	{"PATCH", "/mirrors/" + demoMirror, `{"bandwidth":5,"country":"FR"}`},
	{"DELETE", "/mirrors/" + demoMirror, ""},
	{"POST", "/mirrors/" + demoMirror + "/enable", ""},
	{"POST", "/mirrors/" + demoMirror + "/disable", ""},
	{"POST", "/mirrors/" + demoMirror + "/report", `{"directory":"` + demoDir + `","sha256":"` + strings.Repeat("ab", 32) + `"}`},
	{"POST", "/mirrors/" + demoMirror + "/forget", `{"prefix":"releases/41/"}`},
	{"GET", "/locations", ""},
	{"POST", "/locations", `{"name":"eu-central-9","description":"new","cloud_regions":["eu-central-9"]}`},
	{"GET", "/locations/eu-west-1", ""},
	{"PUT", "/locations/eu-west-1", `{"name":"eu-west-1","description":"changed"}`},
	{"DELETE", "/locations/eu-west-1", ""},
	{"GET", "/repositories", ""},
	{"POST", "/repositories", `{"prefix":"fedora-43","arch":"x86_64","directory":"releases/43/Everything/x86_64/os"}`},
	{"GET", "/repositories/fedora-41/x86_64", ""},
	{"PUT", "/repositories/fedora-41/x86_64", `{"prefix":"fedora-41","arch":"x86_64","directory":"releases/41/Everything/x86_64/os2"}`},
	{"DELETE", "/repositories/fedora-41/x86_64", ""},
	{"POST", "/repositories/fedora-41/x86_64/enable", ""},
	{"POST", "/repositories/fedora-41/x86_64/disable", ""},
	{"GET", "/redirects", ""},
	{"POST", "/redirects", `{"from":"fedora-old","to":"fedora-41"}`},
	{"DELETE", "/redirects/fedora-rawhide", ""},
	{"GET", "/directories", ""},
	{"POST", "/directories/expire", `{"directory":"` + demoDir + `"}`},
	{"GET", "/directories/" + demoDir, ""},
	{"GET", "/tokens", ""},
	{"POST", "/tokens", `{"name":"new","scopes":["admin"]}`},
	{"DELETE", "/tokens/t-unknown", ""},
	{"GET", "/audit", ""},
	{"GET", "/overrides", ""},
	{"PUT", "/overrides", `{"netblock_countries":[{"netblock":"198.51.100.0/24","country":"DE"}],"country_continents":[{"country":"IL","continent":"EU"}]}`},
	{"GET", "/stats?kind=countme&by=week,repo", ""},
}

// adminCase is one refused admin request and the status it must get.
type adminCase struct {
	name string
	src  string // client address
	req  request
	want int
}

// bodyMutations turn a valid body into one the API must refuse with 400
// (or 413 for the oversized one).
var bodyMutations = []struct {
	name string
	mut  func(base string) string
	want int
}{
	{"null", func(string) string { return "null" }, 400},
	{"empty array", func(string) string { return "[]" }, 400},
	{"array of the body", func(b string) string { return "[" + b + "]" }, 400},
	{"string", func(string) string { return `"x"` }, 400},
	{"number", func(string) string { return "42" }, 400},
	{"true", func(string) string { return "true" }, 400},
	{"empty", func(string) string { return "" }, 400},
	{"whitespace", func(string) string { return " \n\t " }, 400},
	{"truncated", func(b string) string { return b[:len(b)/2] }, 400},
	{"unclosed", func(b string) string { return strings.TrimSuffix(b, "}") }, 400},
	{"trailing object", func(b string) string { return b + "{}" }, 400},
	{"trailing garbage", func(b string) string { return b + "x" }, 400},
	{"trailing second body", func(b string) string { return b + "\n" + b }, 400},
	{"unknown field", func(b string) string { return `{"evil":1,` + b[1:] }, 400},
	{"unknown nested field", func(b string) string { return `{"x":{"y":[1,2,{"z":null}]},` + b[1:] }, 400},
	{"duplicate key", func(b string) string { return "{" + firstPair(b) + "," + b[1:] }, 400},
	{"duplicate key by case", func(b string) string { return "{" + strings.ToUpper(firstPair(b)[:3]) + firstPair(b)[3:] + "," + b[1:] }, 400},
	{"deep nesting", func(b string) string {
		return `{"x":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "," + b[1:]
	}, 400},
	{"invalid UTF-8", func(b string) string { return "{\"\xff\xfe\":1," + b[1:] }, 400},
	{"byte order mark", func(b string) string { return "\ufeff" + b }, 400},
	{"NUL byte", func(b string) string { return b[:1] + "\x00" + b[1:] }, 400},
	{"JSON comment", func(b string) string { return "/*c*/" + b }, 400},
	{"single quotes", func(b string) string { return strings.ReplaceAll(b, `"`, `'`) }, 400},
	{"2 MB body", func(b string) string { return `{"x":"` + strings.Repeat("a", 2<<20) + `",` + b[1:] }, 413},
}

// firstPair returns the first "key":value pair of a flat JSON object.
func firstPair(body string) string {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.Token()
	k, _ := dec.Token()
	var v json.RawMessage
	dec.Decode(&v)
	return fmt.Sprintf("%q:%s", k, v)
}

// wrongTypes replace a field's value with one of another JSON type. null
// is not among them: the API takes it as the field left out (a PATCH keeps
// the value, a PUT takes the name from the path).
func wrongTypes(v any) []string {
	switch v.(type) {
	case string:
		return []string{`1`, `true`, `{}`, `["x"]`}
	case float64:
		return []string{`"1"`, `1.5`, `1e400`, `99999999999999999999`, `-1`, `{}`, `[1]`}
	case bool:
		return []string{`"true"`, `1`, `[]`}
	case []any:
		return []string{`"x"`, `{}`, `[1]`, `[["x"]]`, `[null]`}
	}
	return []string{`"x"`}
}

// hostileStrings are values no name, URL, netblock, country or directory
// may have.
var hostileStrings = []struct{ name, json string }{
	{"empty", `""`},
	{"NUL", `"a\u0000b"`},
	{"LF", `"a\nb"`},
	{"CR", `"a\rb"`},
	{"U+2028", `"a\u2028b"`},
	{"U+202E", `"a\u202eb"`},
	{"tab", `"a\tb"`},
	{"traversal", `"../../etc/passwd"`},
	{"space", `"a b"`},
	{"markup", `"<script>x</script>"`},
	{"huge", `"` + strings.Repeat("a", 300<<10) + `"`},
}

// semanticMutations are invalid values for the named fields, by route path.
var semanticMutations = map[string]map[string][]string{
	"mirror": {
		"name":      {`"-bad"`, `"a/b"`, `"` + strings.Repeat("n", 129) + `"`},
		"country":   {`"XX1"`, `"d"`, `"ZZZ"`, `"D\u0000"`},
		"bandwidth": {`0`, `-5`},
		"urls": {`[]`, `["javascript:alert(1)"]`, `["ftp//x.example"]`, `["http://"]`, `["https://evil.example/a b"]`,
			`["http://x.example/\n"]`, `["http://x.example:99999/"]`, `["http://x.example:-1/"]`, `["http://x.example:port/"]`,
			`["https://a.example/pub","https://a.example/pub"]`, `["file:///etc/passwd"]`, `["http://user:pass@x.example/"]`,
			`["https://x.example/` + strings.Repeat("p", 500<<10) + `"]`, `["https://x.example/\u2028"]`},
		"netblocks":         {`["10.0.0.0/33"]`, `["::/129"]`, `["not-a-net"]`, `["10.0.0.1/8"]`, `["::ffff:10.0.0.0/104"]`, `["10.0.0.0/8\n"]`},
		"locations":         {`["nowhere-1"]`, `["eu-west-1","eu-west-1"]`},
		"region":            {`"Not A Region"`},
		"bucket":            {`"Bad_Bucket!"`},
		"countries_allowed": {`["XX"]`, `["DE","DE"]`, `["de\u0000"]`, `[""]`, `["DEU"]`},
		"ipv6":              {`"no"`, `0`},
	},
	"overrides": {
		"netblock_countries": {`[{"netblock":"10.0.0.1/8","country":"DE"}]`, `[{"netblock":"not-a-net","country":"DE"}]`,
			`[{"netblock":"10.0.0.0/8","country":"XX"}]`, `[{"netblock":"10.0.0.0/8","country":"DE"},{"netblock":"10.0.0.0/8","country":"FR"}]`,
			`[{"netblock":"::ffff:10.0.0.0/104","country":"DE"}]`, `[{"netblock":"10.0.0.0/8","country":"DE","extra":1}]`},
		"country_continents": {`[{"country":"IL","continent":"ME"}]`, `[{"country":"QQ","continent":"EU"}]`,
			`[{"country":"IL","continent":"EU"},{"country":"IL","continent":"AS"}]`, `[{"country":"IL"}]`},
	},
	"location": {
		"name":          {`"Upper"`, `"-x"`, `"a_b"`, `"` + strings.Repeat("l", 300) + `"`},
		"description":   {`"` + strings.Repeat("d", 201) + `"`},
		"cloud_regions": {`["Not A Region"]`, `[""]`},
	},
	"repository": {
		"prefix":    {`"a/b"`, `"` + strings.Repeat("p", 129) + `"`},
		"arch":      {`"x86 64"`, `"../x"`},
		"directory": {`"/abs/path"`, `"a/../../b"`, `"a//b"`},
	},
	"redirect": {
		"from": {`"a/b"`, `"fedora-41"`},
		"to":   {`"a b"`, `"fedora-old"`, `"fedora-rawhide"`},
	},
	"report": {
		"directory": {`"unknown/dir"`, `"../etc"`},
		"sha256":    {`"ABAB"`, `"` + strings.Repeat("AB", 32) + `"`, `"` + strings.Repeat("zz", 32) + `"`},
	},
	"forget": {"prefix": {`"/"`, `""`}},
	"expire": {"directory": {`"unknown/dir"`, `"../../etc"`}},
	"token":  {"scopes": {`[]`, `["root"]`, `["report:"]`, `["admin","admin\u0000"]`}},
}

// identityKeys are the fields that name an entry.
var identityKeys = map[string]bool{"name": true, "prefix": true, "arch": true}

// hostileStatus is the status the bad value v of key gets on r: 400, but a
// report or an expiry of an unknown directory gets 404, and a forget of a
// prefix nothing has forgets nothing (200, the store unchanged); an empty
// directory or prefix is missing, 400.
//
// A NUL is the exception on PostgreSQL, whose text cannot hold one: there
// the lookup itself is refused with 400, where the embedded store finds
// nothing.
func hostileStatus(r adminRoute, key, v string, onPostgres bool) int {
	if v == `""` || v == `"/"` || onPostgres && strings.Contains(v, `\u0000`) {
		return 400
	}
	switch k := kindOf(r); {
	case (k == "report" || k == "expire") && key == "directory":
		return 404
	case k == "forget":
		return 200
	}
	return 400
}

// knownFinding reports whether a hostile value of key on r is accepted
// today though it should not be: TestReliabilityAdminKnownFindings has
// those cases.
func knownFinding(r adminRoute, key, value string) bool {
	switch kindOf(r) + "." + key {
	case "location.description":
		return value == "NUL" || value == "LF" || value == "CR" || value == "tab" || value == "U+2028" || value == "U+202E"
	case "repository.directory":
		return value == "U+2028" || value == "U+202E" || value == "huge"
	}
	return false
}

// kindOf names the entity a body route writes.
func kindOf(r adminRoute) string {
	switch {
	case strings.HasSuffix(r.path, "/report"):
		return "report"
	case strings.HasSuffix(r.path, "/forget"):
		return "forget"
	case strings.HasSuffix(r.path, "/expire"):
		return "expire"
	case strings.HasPrefix(r.path, "/mirrors"):
		return "mirror"
	case strings.HasPrefix(r.path, "/locations"):
		return "location"
	case strings.HasPrefix(r.path, "/repositories"):
		return "repository"
	case strings.HasPrefix(r.path, "/redirects"):
		return "redirect"
	case strings.HasPrefix(r.path, "/tokens"):
		return "token"
	case r.path == "/overrides":
		return "overrides"
	}
	return ""
}

// withField returns the JSON object body with key set to the raw value.
func withField(t *testing.T, body, key, value string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("base body %s: %v", body, err)
	}
	keys := []string{}
	for k := range m {
		if k != key {
			keys = append(keys, k)
		}
	}
	var b strings.Builder
	b.WriteString("{")
	for _, k := range keys {
		fmt.Fprintf(&b, "%q:%s,", k, m[k])
	}
	fmt.Fprintf(&b, "%q:%s}", key, value)
	return b.String()
}

// adminCorpus builds the refused requests: tokens, methods, paths and
// bodies. admin, report and revoked are secrets of an admin token, a
// report token for another mirror and a revoked admin token; onPostgres
// says the server's store is PostgreSQL.
func adminCorpus(t *testing.T, admin, report, revoked string, onPostgres bool) []adminCase {
	var cases []adminCase
	bad := 0
	// Bad secrets count against a client's budget: spread them over
	// client addresses, a few each, so that every one gets its 401.
	badSrc := func() string { bad++; return fmt.Sprintf("127.0.1.%d", bad/5+1) }
	for _, r := range adminRoutes {
		name := r.method + " " + r.path
		var body []byte
		if r.body != "" {
			body = []byte(r.body)
		}
		req := func(target, token, header string) request {
			return request{method: r.method, target: target, token: token, header: header, body: body}
		}
		target := "/api/v1" + r.path
		cases = append(cases,
			adminCase{name + "/no token", "127.0.0.1", req(target, "", ""), 401},
			adminCase{name + "/basic auth", "127.0.0.1", req(target, "", "Authorization: Basic YWRtaW46YWRtaW4=\r\n"), 401},
			adminCase{name + "/empty bearer", "127.0.0.1", req(target, "", "Authorization: Bearer \r\n"), 401},
			adminCase{name + "/bogus token", badSrc(), req(target, randomSecret(), ""), 401},
			// Control bytes make the header invalid HTTP: the server refuses
			// the request before the API sees it.
			adminCase{name + "/token with control bytes", "127.0.0.1", req(target, "x\x01y\x7fz", ""), 400},
			adminCase{name + "/revoked token", badSrc(), req(target, revoked, ""), 401},
			adminCase{name + "/token of another scope", "127.0.0.1", req(target, report, ""), 403},
			adminCase{name + "/token in the query", "127.0.0.1", req(target+"?access_token="+admin, "", ""), 400},
			adminCase{name + "/token in the query beside the header", "127.0.0.1", req(target+"?token="+admin, admin, ""), 400},
		)
		if r.body == "" {
			continue
		}
		for _, m := range bodyMutations {
			cases = append(cases, adminCase{name + "/body " + m.name, "127.0.0.1",
				request{method: r.method, target: target, token: admin, body: []byte(m.mut(r.body))}, m.want})
		}
		var base map[string]any
		json.Unmarshal([]byte(r.body), &base)
		for key, v := range base {
			for i, w := range wrongTypes(v) {
				cases = append(cases, adminCase{fmt.Sprintf("%s/%s of a wrong type %d", name, key, i), "127.0.0.1",
					request{method: r.method, target: target, token: admin, body: []byte(withField(t, r.body, key, w))}, 400})
			}
		}
		fields := semanticMutations[kindOf(r)]
		for key, values := range fields {
			if _, ok := base[key]; ok || kindOf(r) == "mirror" {
				for i, v := range values {
					cases = append(cases, adminCase{fmt.Sprintf("%s/invalid %s %d", name, key, i), "127.0.0.1",
						request{method: r.method, target: target, token: admin, body: []byte(withField(t, r.body, key, v))},
						hostileStatus(r, key, v, onPostgres)})
				}
			}
			if _, ok := base[key]; ok && kindOf(r) != "token" {
				for _, h := range hostileStrings {
					if _, isString := base[key].(string); !isString || knownFinding(r, key, h.name) {
						continue
					}
					if kindOf(r) == "location" && key == "description" && h.name != "huge" {
						continue // free text for people: only its length is bounded
					}
					if h.name == "empty" && r.method == "PUT" && identityKeys[key] {
						continue // a PUT's path names the entry
					}
					cases = append(cases, adminCase{fmt.Sprintf("%s/%s %s", name, key, h.name), "127.0.0.1",
						request{method: r.method, target: target, token: admin, body: []byte(withField(t, r.body, key, h.json))},
						hostileStatus(r, key, h.json, onPostgres)})
				}
			}
		}
	}
	return append(append(cases, adminMethodCases(admin)...), adminPathCases(admin, onPostgres)...)
}

// adminMethodCases send every path every method it does not have.
func adminMethodCases(admin string) []adminCase {
	methods := map[string][]string{}
	var paths []string
	for _, r := range adminRoutes {
		if methods[r.path] == nil {
			paths = append(paths, r.path)
		}
		methods[r.path] = append(methods[r.path], r.method)
	}
	var cases []adminCase
	for _, p := range paths {
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"} {
			if strings.Contains(strings.Join(methods[p], " "), m) {
				continue
			}
			want := 405
			if p == "/directories/expire" && m == "GET" {
				want = 404 // the directory named "expire", which is not known
			}
			cases = append(cases, adminCase{m + " " + p + "/wrong method", "127.0.0.1",
				request{method: m, target: "/api/v1" + p, token: admin}, want})
		}
	}
	return cases
}

// adminPathCases play with the path of a request that would change the
// store if it reached an entry.
func adminPathCases(admin string, onPostgres bool) []adminCase {
	var cases []adminCase
	for _, p := range []struct {
		method, target string
		want           int
	}{
		{"GET", "/api/v1/mirrors/%2F", 404},
		{"DELETE", "/api/v1/mirrors/" + demoMirror + "%2F..", 404},
		{"DELETE", "/api/v1/mirrors/..%2Fmirrors%2F" + demoMirror, 404},
		{"DELETE", "/api/v1/mirrors/" + demoMirror + "%00", 404},
		{"DELETE", "/api/v1/mirrors/%00", 404},
		{"DELETE", "/api/v1/mirrors/x/../" + demoMirror, 404},
		{"DELETE", "/api/v1/mirrors/./" + demoMirror, 404},
		{"DELETE", "/api/v1//mirrors/" + demoMirror, 404},
		{"DELETE", "/api/v1/Mirrors/" + demoMirror, 404},
		{"DELETE", "/api/v1/mirrors/" + strings.ToUpper(demoMirror), 404},
		{"DELETE", "/api/v1/mirrors/" + demoMirror + "%20", 404},
		{"DELETE", "/api/v1/mirrors/%2E%2E", 404},
		// The route of one mirror, whose name would have a slash: no POST there.
		{"POST", "/api/v1/mirrors/" + demoMirror + "%2Fdisable", 405},
		{"DELETE", "/api/v1/tokens/%2E%2E", 404},
		{"DELETE", "/api/v1/redirects/%00", 404},
		{"DELETE", "/api/v1/redirects/fedora-rawhide%0A", 404},
		{"GET", "/api/v1/directories/../../../etc/passwd", 404},
		{"GET", "/api/v1/directories/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", 404},
		{"DELETE", "/api/v1/repositories/fedora-41%2Fx86_64/x", 404},
		{"DELETE", "/api/v1/repositories/fedora-41/x86_64%00", 404},
		{"DELETE", "/api/v1/locations/eu-west-1%2F", 404},
		{"DELETE", "/api/v1/locations/EU-WEST-1", 404},
		{"GET", "/api/v1/" + strings.Repeat("a/", 3000), 414},
		{"GET", "/api/v1/nothing", 404},
	} {
		if onPostgres && strings.Contains(p.target, "%00") {
			p.want = 400 // see hostileStatus
		}
		cases = append(cases, adminCase{"path " + p.method + " " + p.target, "127.0.0.1",
			request{method: p.method, target: p.target, token: admin}, p.want})
	}
	del := "/api/v1/mirrors/" + demoMirror
	return append(cases,
		adminCase{"DELETE with thousands of query parameters", "127.0.0.1",
			request{method: "DELETE", target: del + "?" + strings.Repeat("x=1&", 2000), token: admin}, 414},
		adminCase{"DELETE with a 70 KB header", "127.0.0.1",
			request{method: "DELETE", target: del, token: admin, header: "X-Big: " + strings.Repeat("a", 70<<10) + "\r\n"}, 431},
		adminCase{"DELETE with thousands of headers", "127.0.0.1",
			request{method: "DELETE", target: del, token: admin, header: strings.Repeat("X-Many: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 2500)}, 431},
		adminCase{"DELETE with a 70 KB bearer token", "127.0.0.1",
			request{method: "DELETE", target: del, token: strings.Repeat("t", 70<<10)}, 431},
	)
}

func randomSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// TestReliabilityAdminCorpus sends every refused admin request to the real
// binary and checks its status and that the store's export is unchanged
// after each one.
func TestReliabilityAdminCorpus(t *testing.T) {
	serveEach(t, adminCorpusOn)
}

func adminCorpusOn(t *testing.T, s *storeServer) {
	admin := s.token(t, "corpus-admin", "admin")
	report := s.token(t, "corpus-report", "report:ar-mirror")
	revoked := s.token(t, "corpus-revoked", "admin")
	revokeToken(t, s, "corpus-revoked", revoked)
	before := s.export(t)
	cases := adminCorpus(t, admin, report, revoked, s.dbURL != "")
	if len(cases) < 300 {
		t.Fatalf("only %d admin cases", len(cases))
	}
	statuses := map[int]int{}
	for _, c := range cases {
		resp := rawDo(t, c.src, s.addr, c.req)
		statuses[resp.status]++
		if resp.status != c.want {
			t.Errorf("%s: status %d (%v), want %d; body %.300q", c.name, resp.status, resp.err, c.want, resp.body)
		}
		if err := refusalBody(resp, admin, c.req.token); err != nil && resp.status >= 400 {
			t.Errorf("%s: %v", c.name, err)
		}
		if got := s.export(t); !bytes.Equal(got, before) {
			t.Errorf("%s: the store's export changed after the request (status %d; body %.300q):\n%s",
				c.name, resp.status, resp.body, lineDiff(before, got))
			before = got // so that the next cases are judged on their own
		}
	}
	figure(t, "%d admin cases; statuses %v", len(cases), statuses)
}

// refusalBody returns what is wrong with the body of a refusal: the API's
// own refusals are a JSON object with a message, and no refusal repeats a
// secret (the admin token's, or the one sent).
func refusalBody(resp response, secrets ...string) error {
	for _, sec := range secrets {
		if len(sec) >= 16 && bytes.Contains(resp.body, []byte(sec[:16])) {
			return fmt.Errorf("the %d answer repeats a token's secret: %.300q", resp.status, resp.body)
		}
	}
	if !strings.HasPrefix(resp.header.Get("Content-Type"), "application/json") {
		return nil // refused by the HTTP server before the API (414, 431, a malformed header)
	}
	var e struct{ Error string }
	if err := json.Unmarshal(resp.body, &e); err != nil || e.Error == "" {
		return fmt.Errorf("the %d answer is not an error object: %v: %.300q", resp.status, err, resp.body)
	}
	return nil
}

// revokeToken revokes the token of that name and secret, on the store, and
// waits until the server refuses it.
func revokeToken(t *testing.T, s *storeServer, name, secret string) {
	t.Helper()
	out := s.cli(t, "token", "list", "--json")
	var list struct{ Tokens []struct{ ID, Name string } }
	if err := json.Unmarshal(out, &list); err != nil || len(list.Tokens) == 0 {
		t.Fatalf("token list printed %q: %v", out, err)
	}
	id := ""
	for _, tok := range list.Tokens {
		if tok.Name == name {
			id = tok.ID
		}
	}
	s.cli(t, "token", "revoke", id)
	testpeer.MustEventually(t, 20*time.Second, "the server to refuse the revoked token", func() bool {
		return rawDo(t, "127.0.2.1", s.addr, request{method: "GET", target: "/api/v1/mirrors", token: secret}).status == 401
	})
}

// TestReliabilityAdminFormerFindings holds the hostile values the API
// accepted though every other field of their kind refused them: a
// repository directory with an invisible character (U+2028, U+202E) or of
// any length, though it ends up in every mirror URL an answer lists (a
// mirror's base URL with such a character is refused), and a location
// description with control characters (NUL, CR, LF, U+2028, U+202E). Each
// is now a 400 that leaves the store as it was.
func TestReliabilityAdminFormerFindings(t *testing.T) {
	serveEach(t, knownFindingsOn)
}

func knownFindingsOn(t *testing.T, s *storeServer) {
	admin := s.token(t, "findings-admin", "admin")
	before := s.export(t)
	for _, r := range adminRoutes {
		var base map[string]any
		if r.body == "" || json.Unmarshal([]byte(r.body), &base) != nil {
			continue
		}
		for key := range base {
			for _, h := range hostileStrings {
				if !knownFinding(r, key, h.name) {
					continue
				}
				name := fmt.Sprintf("%s %s/%s %s", r.method, r.path, key, h.name)
				resp := rawDo(t, "127.0.0.1", s.addr, request{method: r.method, target: "/api/v1" + r.path, token: admin,
					body: []byte(withField(t, r.body, key, h.json))})
				if resp.status != 400 {
					t.Errorf("%s: status %d, want 400", name, resp.status)
				}
				if got := s.export(t); !bytes.Equal(got, before) {
					t.Errorf("%s: the store's export changed:\n%.2000s", name, lineDiff(before, got))
					before = got
				}
			}
		}
	}
}

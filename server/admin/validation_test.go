package admin

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// goodMirror returns a valid new mirror's body with changes applied.
func goodMirror(changes map[string]any) map[string]any {
	m := map[string]any{"name": "m3", "country": "FR", "bandwidth": 100, "urls": []string{"https://m3.example/pub"}}
	for k, v := range changes {
		m[k] = v
	}
	return m
}

// Every refused request names each bad field and leaves the store as it was.
func TestValidation(t *testing.T) { eachStore(t, testValidation) }

func testValidation(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	tests := []struct {
		name, method, path string
		body               any
		status             int
		fields             []string
	}{
		{"bad CIDR", "POST", "/mirrors", goodMirror(map[string]any{"netblocks": []string{"192.0.2.0/24", "10.0.0.0/33"}}), 400, []string{"netblocks[1]"}},
		{"CIDR with host bits", "POST", "/mirrors", goodMirror(map[string]any{"netblocks": []string{"10.1.2.3/8"}}), 400, []string{"netblocks[0]"}},
		{"not an address", "POST", "/mirrors", goodMirror(map[string]any{"netblocks": []string{"example.org"}}), 400, []string{"netblocks[0]"}},
		{"unknown country", "POST", "/mirrors", goodMirror(map[string]any{"country": "XX"}), 400, []string{"country"}},
		{"missing country", "POST", "/mirrors", goodMirror(map[string]any{"country": ""}), 400, []string{"country"}},
		{"URL without scheme", "POST", "/mirrors", goodMirror(map[string]any{"urls": []string{"m3.example/pub"}}), 400, []string{"urls[0]"}},
		{"URL with a query", "POST", "/mirrors", goodMirror(map[string]any{"urls": []string{"https://m3.example/pub?x=1"}}), 400, []string{"urls[0]"}},
		{"URL with credentials", "POST", "/mirrors", goodMirror(map[string]any{"urls": []string{"https://u:p@m3.example/pub"}}), 400, []string{"urls[0]"}},
		{"URL with port 99999", "POST", "/mirrors", goodMirror(map[string]any{"urls": []string{"https://m3.example:99999/pub"}}), 400, []string{"urls[0]"}},
		{"URL with a line separator", "POST", "/mirrors", goodMirror(map[string]any{"urls": []string{"https://m3.example/p\u2028ub"}}), 400, []string{"urls[0]"}},
		{"URL with a format character", "POST", "/mirrors", goodMirror(map[string]any{"urls": []string{"https://m3.example/p\u200bub"}}), 400, []string{"urls[0]"}},
		{"URL of 200 KB", "POST", "/mirrors", goodMirror(map[string]any{"urls": []string{"https://m3.example/" + strings.Repeat("p", 200<<10)}}), 400, []string{"urls[0]"}},
		{"v4-mapped IPv6 netblock", "POST", "/mirrors", goodMirror(map[string]any{"netblocks": []string{"::ffff:192.0.2.0/120"}}), 400, []string{"netblocks[0]"}},
		{"no URL", "POST", "/mirrors", goodMirror(map[string]any{"urls": []string{}}), 400, []string{"urls"}},
		{"bandwidth zero", "POST", "/mirrors", goodMirror(map[string]any{"bandwidth": 0}), 400, []string{"bandwidth"}},
		{"bandwidth negative", "POST", "/mirrors", goodMirror(map[string]any{"bandwidth": -5}), 400, []string{"bandwidth"}},
		{"bandwidth not a number", "POST", "/mirrors", goodMirror(map[string]any{"bandwidth": "fast"}), 400, []string{"bandwidth"}},
		{"unknown location", "POST", "/mirrors", goodMirror(map[string]any{"locations": []string{"us-east-1", "mars-1"}}), 400, []string{"locations[1]"}},
		{"bad name", "POST", "/mirrors", goodMirror(map[string]any{"name": "no spaces"}), 400, []string{"name"}},
		{"every bad field at once", "POST", "/mirrors", goodMirror(map[string]any{"country": "XX", "bandwidth": 0, "netblocks": []string{"300.0.0.0/8"}}), 400, []string{"country", "bandwidth", "netblocks[0]"}},
		{"unknown JSON field", "POST", "/mirrors", goodMirror(map[string]any{"colour": "blue"}), 400, []string{"colour"}},
		{"trailing garbage", "POST", "/mirrors", `{"name":"m3","country":"FR","bandwidth":100,"urls":["https://m3.example/pub"]} xyz`, 400, []string{"body"}},
		{"two objects", "POST", "/mirrors", `{"name":"m3","country":"FR","bandwidth":100,"urls":["https://m3.example/pub"]}{}`, 400, []string{"body"}},
		{"not JSON", "POST", "/mirrors", `name=m3`, 400, []string{"body"}},
		{"truncated JSON", "POST", "/mirrors", `{"name":"m3"`, 400, []string{"body"}},
		{"empty body", "POST", "/mirrors", ``, 400, []string{"body"}},
		{"array body", "POST", "/mirrors", `[]`, 400, []string{"body"}},
		{"null body", "POST", "/mirrors", `null`, 400, []string{"body"}},
		{"PUT null body", "PUT", "/locations/us-east-1", ` null `, 400, []string{"body"}},
		{"PUT string body", "PUT", "/locations/us-east-1", `"x"`, 400, []string{"body"}},
		{"PUT number body", "PUT", "/locations/us-east-1", `1`, 400, []string{"body"}},
		{"PATCH null body", "PATCH", "/mirrors/m2", `null`, 400, []string{"body"}},
		{"report null body", "POST", "/mirrors/m1/report", `null`, 400, []string{"body"}},
		{"duplicate key", "POST", "/mirrors", `{"name":"m3","country":"FR","bandwidth":100,"urls":["https://m3.example/pub"],"country":"DE"}`, 400, []string{"country"}},
		{"duplicate key differing in case", "POST", "/mirrors", `{"name":"m3","country":"FR","bandwidth":100,"urls":["https://m3.example/pub"],"Country":"DE"}`, 400, []string{"Country"}},
		{"PATCH duplicate key", "PATCH", "/mirrors/m2", `{"bandwidth":5,"bandwidth":7}`, 400, []string{"bandwidth"}},
		{"PUT duplicate key", "PUT", "/locations/us-east-1", `{"description":"a","description":"b"}`, 400, []string{"description"}},
		{"body too large", "POST", "/mirrors", `{"name":"` + strings.Repeat("m", MaxBodyBytes) + `"}`, 413, nil},
		{"PUT renames", "PUT", "/mirrors/m2", goodMirror(nil), 400, []string{"name"}},
		{"PUT bad bandwidth", "PUT", "/mirrors/m2", goodMirror(map[string]any{"name": "m2", "bandwidth": 0}), 400, []string{"bandwidth"}},
		{"PATCH bad CIDR", "PATCH", "/mirrors/m2", map[string]any{"netblocks": []string{"192.0.2.1/24"}}, 400, []string{"netblocks[0]"}},
		{"PATCH unknown location", "PATCH", "/mirrors/m1", map[string]any{"locations": []string{"nowhere"}}, 400, []string{"locations[0]"}},
		{"PATCH bandwidth not a number", "PATCH", "/mirrors/m2", map[string]any{"bandwidth": "fast"}, 400, []string{"bandwidth"}},
		{"PATCH unknown field", "PATCH", "/mirrors/m2", map[string]any{"speed": 3}, 400, []string{"speed"}},
		{"location name", "POST", "/locations", map[string]any{"name": "US East"}, 400, []string{"name"}},
		{"location cloud region", "POST", "/locations", map[string]any{"name": "x", "cloud_regions": []string{"Bad_Region"}}, 400, []string{"cloud_regions[0]"}},
		{"location renamed", "PUT", "/locations/eu-west-1", map[string]any{"name": "eu-west-2"}, 400, []string{"name"}},
		{"repository arch", "POST", "/repositories", map[string]any{"prefix": "epel-9", "arch": "x86 64", "directory": "epel/9"}, 400, []string{"arch"}},
		{"repository directory", "POST", "/repositories", map[string]any{"prefix": "epel-9", "arch": "x86_64", "directory": "/epel/9/"}, 400, []string{"directory"}},
		{"repository at the tree root", "POST", "/repositories", map[string]any{"prefix": "epel-9", "arch": "x86_64", "directory": "."}, 400, []string{"directory"}},
		{"repository moved", "PUT", "/repositories/fedora-41/x86_64", map[string]any{"arch": "aarch64", "directory": dir}, 400, []string{"arch"}},
		{"redirect to itself", "POST", "/redirects", map[string]any{"from": "epel-9", "to": "epel-9"}, 400, []string{"to"}},
		{"report sha256", "POST", "/mirrors/m1/report", map[string]any{"directory": dir, "sha256": "ABC"}, 400, []string{"sha256"}},
		{"report without directory", "POST", "/mirrors/m1/report", map[string]any{"sha256": shaNow}, 400, []string{"directory"}},
		{"report unknown field", "POST", "/mirrors/m1/report", map[string]any{"directory": dir, "sha256": shaNow, "mirror": "m2"}, 400, []string{"mirror"}},
		{"forget without prefix", "POST", "/mirrors/m1/forget", map[string]any{"prefix": "/"}, 400, []string{"prefix"}},
		{"expire without directory", "POST", "/directories/expire", map[string]any{}, 400, []string{"directory"}},
		{"token scope", "POST", "/tokens", map[string]any{"scopes": []string{"root"}}, 400, []string{"scopes[0]"}},
		{"token for an unknown mirror", "POST", "/tokens", map[string]any{"scopes": []string{"admin", "report:m9"}}, 400, []string{"scopes[1]"}},
		{"token without scope", "POST", "/tokens", map[string]any{"name": "x"}, 400, []string{"scopes"}},
		{"audit limit", "GET", "/audit?limit=0&before=x", nil, 400, []string{"limit", "before"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.t = t
			before := f.state()
			a := f.do(tc.method, tc.path, "admin", tc.body)
			if a.status != tc.status {
				t.Fatalf("status %d %s, want %d", a.status, a.body, tc.status)
			}
			if diff := cmp.Diff(tc.fields, a.fields()); diff != "" {
				t.Errorf("fields of %s (-want +got):\n%s", a.body, diff)
			}
			if len(a.body) > 4<<10 {
				t.Errorf("error answer of %d bytes; it should not echo the request", len(a.body))
			}
			e := a.error()
			if e.Error == "" {
				t.Errorf("no error message in %s", a.body)
			}
			for _, fe := range e.Fields {
				if fe.Msg == "" {
					t.Errorf("field %s has no message", fe.Field)
				}
			}
			f.unchanged(tc.name, before)
		})
	}
}

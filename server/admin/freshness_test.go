package admin

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/adminapi"
)

func freshnessOf(t *testing.T, f *fixture, mirror string) map[string]string {
	t.Helper()
	d, err := f.st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, fr := range d.Freshness {
		if fr.Mirror == mirror {
			out[fr.Directory] = fr.SHA256
		}
	}
	return out
}

func TestReport(t *testing.T) { eachStore(t, testReport) }

func testReport(t *testing.T, kind storeKind) {
	tests := []struct {
		name, kind, mirror, directory, sha256 string
		status                                int
		msg                                   string // part of the error message
		stored                                string // sha256 stored for the mirror afterwards, "" for none
	}{
		{"current repomd", "report:m2", "m2", dir, shaNow, 200, "", shaNow},
		{"alternate still listed", "report:m2", "m2", dir, shaOld, 200, "", shaOld},
		{"trailing slash", "report:m2", "m2", dir + "/", shaNow, 200, "", shaNow},
		{"by an admin", "admin", "m2", dir, shaNow, 200, "", shaNow},
		{"unknown repomd", "report:m2", "m2", dir, shaOther, 409, "neither the current one", ""},
		{"unknown directory", "report:m2", "m2", "releases/40/Everything/x86_64/os", shaNow, 404, `directory "releases/40/Everything/x86_64/os"`, ""},
		{"unknown mirror", "admin", "m9", dir, shaNow, 404, `mirror "m9" not found`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, kind)
			a := f.do(http.MethodPost, "/mirrors/"+tc.mirror+"/report", tc.kind, map[string]string{"directory": tc.directory, "sha256": tc.sha256})
			if a.status != tc.status || !strings.Contains(a.error().Error, tc.msg) {
				t.Fatalf("report = %d %s, want %d with %q", a.status, a.body, tc.status, tc.msg)
			}
			if got := freshnessOf(t, f, tc.mirror)[dir]; got != tc.stored {
				t.Errorf("stored sha256 %q, want %q", got, tc.stored)
			}
			if a.status == http.StatusOK {
				var fr adminapi.Freshness
				var m mirrorView
				f.admin(http.MethodGet, "/mirrors/"+tc.mirror, nil, http.StatusOK, &m)
				if len(m.Freshness) == 1 {
					fr = m.Freshness[0]
				}
				if !fr.Reported.Equal(t0.Add(time.Hour)) || fr.Directory != dir {
					t.Errorf("freshness %+v, want %s reported at the API's clock", fr, dir)
				}
			}
		})
	}
}

func TestForget(t *testing.T) { eachStore(t, testForget) }

func testForget(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	var out struct{ Forgotten int }
	f.do(http.MethodPost, "/mirrors/m1/forget", "report:m1", map[string]string{"prefix": "releases/40/"})
	a := f.do(http.MethodPost, "/mirrors/m1/forget", "report:m1", map[string]string{"prefix": "releases/41/"})
	if a.status != http.StatusOK || string(a.body) != "{\n  \"forgotten\": 1\n}\n" {
		t.Fatalf("forget = %d %s, want 200 {\"forgotten\": 1}", a.status, a.body)
	}
	if got := freshnessOf(t, f, "m1"); len(got) != 0 {
		t.Errorf("m1 still fresh for %v", got)
	}
	f.admin(http.MethodPost, "/mirrors/m1/forget", map[string]string{"prefix": "releases/"}, http.StatusOK, &out)
	if out.Forgotten != 0 {
		t.Errorf("second forget forgot %d", out.Forgotten)
	}
	if a := f.do(http.MethodPost, "/mirrors/m9/forget", "admin", map[string]string{"prefix": "releases/"}); a.status != http.StatusNotFound {
		t.Errorf("forget of an unknown mirror = %d %s", a.status, a.body)
	}
}

package admin

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// GET /audit keeps its shape, and an entry records the fields a request
// changed, before and after, rather than the request's body.
func TestAuditRecordsChanges(t *testing.T) { eachStore(t, testAuditRecordsChanges) }

func testAuditRecordsChanges(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	long := strings.Repeat("d", 190) // the longest description is 200 characters
	f.admin(http.MethodPut, "/locations/us-east-1", map[string]any{"description": long}, http.StatusOK, nil)
	f.admin(http.MethodPatch, "/mirrors/m2", map[string]any{"bandwidth": 250, "country": "DE"}, http.StatusOK, nil)

	var page struct {
		Entries []map[string]json.RawMessage `json:"entries"`
	}
	f.admin(http.MethodGet, "/audit?limit=2", nil, http.StatusOK, &page)
	if len(page.Entries) != 2 {
		t.Fatalf("%d entries", len(page.Entries))
	}
	for _, e := range page.Entries {
		keys := []string{}
		for k := range e {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if diff := cmp.Diff([]string{"action", "actor", "at", "detail", "id", "target"}, keys); diff != "" {
			t.Errorf("entry keys (-want +got):\n%s", diff)
		}
	}
	want := []string{
		`{"bandwidth":{"after":250,"before":100}}`,
		`{"description":{"after":"` + long + `","before":"AWS US East"}}`,
	}
	for i, w := range want {
		var got, exp any
		json.Unmarshal(page.Entries[i]["detail"], &got)
		json.Unmarshal([]byte(w), &exp)
		if !cmp.Equal(got, exp) {
			t.Errorf("entry %d detail %s, want %s", i, page.Entries[i]["detail"], w)
		}
	}
}

package adminapi

import (
	"encoding/json"
	"testing"
	"time"
)

// TestFreshnessWireFormat pins the JSON of GET /freshness.
func TestFreshnessWireFormat(t *testing.T) {
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	v := FreshnessView{
		Mirrors: []MirrorFreshness{
			{Name: "m1", Enabled: true, AlwaysUpToDate: true, Fresh: 2, StaleDirectories: []StaleDirectory{}},
			{Name: "m2", Fresh: 1, Stale: 1, Unknown: 3, MoreStale: 4,
				StaleDirectories: []StaleDirectory{{Directory: "d", SHA256: "aa", Reported: at, Accepted: true}}},
		},
		Categories: []CategoryFreshness{{Category: "releases/41", Directories: 2, Fresh: 1, Stale: 1, Unknown: 0}},
	}
	const want = `{"mirrors":[` +
		`{"name":"m1","enabled":true,"always_up_to_date":true,"fresh":2,"stale":0,"unknown":0,"stale_directories":[]},` +
		`{"name":"m2","enabled":false,"fresh":1,"stale":1,"unknown":3,"stale_directories":[{"directory":"d","sha256":"aa","reported":"2026-11-01T12:00:00Z","accepted":true}],"more_stale":4}],` +
		`"categories":[{"category":"releases/41","directories":2,"fresh":1,"stale":1,"unknown":0}]}`
	got, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("JSON\n got %s\nwant %s", got, want)
	}
}

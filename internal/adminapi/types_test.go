package adminapi

import (
	"encoding/json"
	"testing"
	"time"
)

// The wire format is a promise to every client: these pin the JSON of each
// type, its field names, which fields are left out when empty, and their
// order.
func TestWireFormat(t *testing.T) {
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	yes, no := true, false
	full := Mirror{Name: "m1", Country: "US", Bandwidth: 10, Enabled: true, Private: true, AlwaysUpToDate: true,
		URLs: []string{"https://m1.example/pub"}, Netblocks: []string{"192.0.2.0/24"}, ASN: 64500,
		Locations: []string{"us-east-1"}, Region: "us-east-1", Bucket: "b",
		CountriesAllowed: []string{"US", "CA"}, IPv4: &yes, IPv6: &no}
	fr := Freshness{Mirror: "m1", Directory: "d", SHA256: "aa", Reported: at, Source: SourceCrawl}
	health := MirrorHealth{Mirror: "m1", State: StateCrawlerDisabled, Reason: "4 consecutive failed crawls", Since: at,
		LastCrawl: at, ConsecutiveFailures: 4, Protocols: []ProtocolHealth{{Protocol: "https", LastSuccess: at, LastFailure: at,
			LastReason: "timeout", LastDetail: "no answer", ConsecutiveFailures: 4}}}
	repomd := Repomd{Size: 1, Timestamp: 2, MD5: "m", SHA1: "s1", SHA256: "s2", SHA512: "s5", Recorded: at}
	const (
		fullMirror  = `{"name":"m1","country":"US","bandwidth":10,"enabled":true,"private":true,"always_up_to_date":true,"urls":["https://m1.example/pub"],"netblocks":["192.0.2.0/24"],"asn":64500,"locations":["us-east-1"],"region":"us-east-1","bucket":"b","countries_allowed":["US","CA"],"ipv4":true,"ipv6":false}`
		freshness   = `{"mirror":"m1","directory":"d","sha256":"aa","reported":"2026-11-01T12:00:00Z","source":"crawl"}`
		healthJSON  = `{"mirror":"m1","state":"disabled-by-crawler","reason":"4 consecutive failed crawls","since":"2026-11-01T12:00:00Z","last_crawl":"2026-11-01T12:00:00Z","consecutive_failures":4,"protocols":[{"protocol":"https","last_success":"2026-11-01T12:00:00Z","last_failure":"2026-11-01T12:00:00Z","last_reason":"timeout","last_detail":"no answer","consecutive_failures":4}]}`
		repomdJSON  = `{"size":1,"timestamp":2,"md5":"m","sha1":"s1","sha256":"s2","sha512":"s5","recorded":"2026-11-01T12:00:00Z","superseded":"0001-01-01T00:00:00Z"}`
		directory   = `{"path":"d","current":` + repomdJSON + `}`
		revokedTime = `"2026-11-01T12:00:00Z"`
	)
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"Mirror", full, fullMirror},
		{"Mirror empty", Mirror{}, `{"name":"","country":"","bandwidth":0,"enabled":false,"urls":null}`},
		{"MirrorDetail", MirrorDetail{Mirror: full, Freshness: []Freshness{fr}},
			fullMirror[:len(fullMirror)-1] + `,"freshness":[` + freshness + `]}`},
		{"MirrorDetail with health", MirrorDetail{Mirror: full, Freshness: []Freshness{}, Health: &health},
			fullMirror[:len(fullMirror)-1] + `,"freshness":[],"health":` + healthJSON + `}`},
		{"Overrides", Overrides{NetblockCountries: []NetblockCountry{{Netblock: "192.0.2.0/24", Country: "IL"}},
			CountryContinents: []CountryContinent{{Country: "IL", Continent: "EU"}}},
			`{"netblock_countries":[{"netblock":"192.0.2.0/24","country":"IL"}],"country_continents":[{"country":"IL","continent":"EU"}]}`},
		{"Overrides empty", Overrides{NetblockCountries: []NetblockCountry{}, CountryContinents: []CountryContinent{}},
			`{"netblock_countries":[],"country_continents":[]}`},
		{"MirrorList", MirrorList{Mirrors: []Mirror{}}, `{"mirrors":[]}`},
		{"MirrorHealth", health, healthJSON},
		{"MirrorHealth never crawled", MirrorHealth{Mirror: "m2", State: StateUnknown, Protocols: []ProtocolHealth{}},
			`{"mirror":"m2","state":"unknown","consecutive_failures":0,"protocols":[]}`},
		{"HealthList", HealthList{Mirrors: []MirrorHealth{}}, `{"mirrors":[]}`},
		{"PropagationPoint", PropagationPoint{Directory: "d", At: at, SHA256: "aa", Current: 1, Older: 2, Other: 3, Failed: 4},
			`{"directory":"d","at":"2026-11-01T12:00:00Z","sha256":"aa","current":1,"older":2,"other":3,"failed":4}`},
		{"PropagationList", PropagationList{Points: []PropagationPoint{}}, `{"points":[]}`},
		{"Explanation", Explanation{Status: 200, Directory: "d", Country: "DE", ASN: 64500, Family: 6,
			Listed:  []ExplainedMirror{{Mirror: "m1", Position: 1, Step: "country"}},
			LeftOut: []ExplainedMirror{{Mirror: "m2", Reason: ReasonStale, Detail: "aa"}}},
			`{"status":200,"directory":"d","country":"DE","asn":64500,"family":6,"listed":[{"mirror":"m1","position":1,"step":"country"}],"left_out":[{"mirror":"m2","reason":"stale","detail":"aa"}]}`},
		{"Explanation failed", Explanation{Status: 404, Message: "repo = x arch = y error: invalid repo or arch",
			Listed: []ExplainedMirror{}, LeftOut: []ExplainedMirror{}},
			`{"status":404,"message":"repo = x arch = y error: invalid repo or arch","listed":[],"left_out":[]}`},
		{"Location", Location{Name: "us-east-1", Description: "d", CloudRegions: []string{"us-east-2"}},
			`{"name":"us-east-1","description":"d","cloud_regions":["us-east-2"]}`},
		{"Location empty", Location{}, `{"name":""}`},
		{"LocationDetail", LocationDetail{Location: Location{Name: "l"}, Mirrors: []string{"m1"}}, `{"name":"l","mirrors":["m1"]}`},
		{"LocationList", LocationList{Locations: []Location{}}, `{"locations":[]}`},
		{"Repository", Repository{Prefix: "p", Arch: "a", Directory: "d", Disabled: true},
			`{"prefix":"p","arch":"a","directory":"d","disabled":true}`},
		{"Repository enabled", Repository{Prefix: "p", Arch: "a", Directory: "d"}, `{"prefix":"p","arch":"a","directory":"d"}`},
		{"RepositoryList", RepositoryList{Repositories: []Repository{}}, `{"repositories":[]}`},
		{"Redirect", Redirect{From: "a", To: "b"}, `{"from":"a","to":"b"}`},
		{"RedirectList", RedirectList{Redirects: []Redirect{}}, `{"redirects":[]}`},
		{"Repomd", repomd, repomdJSON},
		{"Directory", Directory{Path: "d", Current: repomd}, directory},
		{"Directory with alternates", Directory{Path: "d", Current: repomd, Alternates: []Repomd{repomd}},
			directory[:len(directory)-1] + `,"alternates":[` + repomdJSON + `]}`},
		{"DirectoryDetail", DirectoryDetail{Directory: Directory{Path: "d", Current: repomd}, Mirrors: []Freshness{}},
			directory[:len(directory)-1] + `,"mirrors":[]}`},
		{"DirectoryList", DirectoryList{Directories: []Directory{}}, `{"directories":[]}`},
		{"Expire", Expire{Directory: "d"}, `{"directory":"d"}`},
		{"Freshness", fr, freshness},
		{"Freshness of a server older than the crawler", Freshness{Mirror: "m1", Directory: "d", SHA256: "aa", Reported: at},
			`{"mirror":"m1","directory":"d","sha256":"aa","reported":"2026-11-01T12:00:00Z"}`},
		{"Report", Report{Directory: "d", SHA256: "aa"}, `{"directory":"d","sha256":"aa"}`},
		{"Forget", Forget{Prefix: "p/"}, `{"prefix":"p/"}`},
		{"Forgotten", Forgotten{Forgotten: 2}, `{"forgotten":2}`},
		{"Token", Token{ID: "i", Name: "n", Scopes: []string{"admin"}, Created: at, Revoked: &at, Secret: "s"},
			`{"id":"i","name":"n","scopes":["admin"],"created":"2026-11-01T12:00:00Z","revoked":` + revokedTime + `,"secret":"s"}`},
		{"Token listed", Token{ID: "i", Name: "n", Scopes: []string{}, Created: at},
			`{"id":"i","name":"n","scopes":[],"created":"2026-11-01T12:00:00Z"}`},
		{"TokenList", TokenList{Tokens: []Token{}}, `{"tokens":[]}`},
		{"NewToken", NewToken{Name: "n", Scopes: []string{"report:m1"}}, `{"name":"n","scopes":["report:m1"]}`},
		{"AuditEntry", AuditEntry{ID: 3, At: at, Actor: "a", Action: "put_location", Target: "l", Detail: json.RawMessage(`{"name":"l"}`)},
			`{"id":3,"at":"2026-11-01T12:00:00Z","actor":"a","action":"put_location","target":"l","detail":{"name":"l"}}`},
		{"AuditEntry without detail", AuditEntry{ID: 3, At: at}, `{"id":3,"at":"2026-11-01T12:00:00Z","actor":"","action":"","target":""}`},
		{"AuditPage", AuditPage{Entries: []AuditEntry{}, Next: 7}, `{"entries":[],"next":7}`},
		{"AuditPage last", AuditPage{Entries: []AuditEntry{}}, `{"entries":[]}`},
		{"ErrorBody", ErrorBody{Error: "invalid data", Fields: []FieldError{{Field: "urls[0]", Entry: "m4", Msg: "has no scheme", Line: 3}}},
			`{"error":"invalid data","fields":[{"field":"urls[0]","entry":"m4","message":"has no scheme","line":3}]}`},
		{"ErrorBody plain", ErrorBody{Error: "not found"}, `{"error":"not found"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("JSON\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

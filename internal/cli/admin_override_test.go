package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/store"
)

// TestHostRuleCommands sets a mirror's countries_allowed and address
// families with mirror add and update, and the overrides with override
// set, through the real server.
func TestHostRuleCommands(t *testing.T) {
	_, api := adminServer(t)
	cliExpect(t, api, ExitOK, []string{"added mirror m6"},
		"mirror", "add", "m6", "--country", "IL", "--bandwidth", "100", "--url", "https://m6.example/pub",
		"--country-allowed", "il", "--country-allowed", "PS", "--ipv4=false")
	cliExpect(t, api, ExitOK, []string{"ipv6-only", "only:IL+PS"}, "mirror", "list")
	cliExpect(t, api, ExitOK, []string{"countries_allowed  IL PS", "ipv4               no", "ipv6               yes"}, "mirror", "get", "m6")

	cliExpect(t, api, ExitOK, []string{"updated mirror m6"}, "mirror", "update", "m6", "--ipv4", "--ipv6=false", "--country-allowed", "")
	r := cliExpect(t, api, ExitOK, nil, "mirror", "get", "--json", "m6")
	var m store.Mirror
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil || !m.ServesIPv4() || m.ServesIPv6() || len(m.CountriesAllowed) != 0 {
		t.Errorf("after update: %v %+v\n%s", err, m, r.stdout)
	}
	cliExpect(t, api, ExitError, []string{"ipv6 (\"m6\")", "neither"}, "mirror", "update", "m6", "--ipv4=false")

	cliExpect(t, api, ExitOK, []string{"KIND"}, "override", "list")
	cliExpect(t, api, ExitOK, []string{"overrides replaced: 2 netblock → country, 1 country → continent"},
		"override", "set", "--netblock-country", "192.0.2.0/24=il", "--netblock-country", "2001:db8::/32=DE", "--country-continent", "IL=EU")
	r = cliExpect(t, api, ExitOK, []string{"netblock-country   192.0.2.0/24   IL", "country-continent  IL             EU"}, "override", "list")
	if strings.Count(r.stdout, "\n") != 4 {
		t.Errorf("override list: want a header and 3 rows:\n%s", r.stdout)
	}
	cliExpect(t, api, ExitError, []string{"netblock_countries[0].netblock", "host bits"},
		"override", "set", "--netblock-country", "192.0.2.1/24=IL")
	cliExpect(t, api, ExitError, []string{"country_continents[1].country", "twice"},
		"override", "set", "--country-continent", "IL=EU", "--country-continent", "IL=AS")
	cliExpect(t, api, ExitUsage, []string{"want CIDR=CC"}, "override", "set", "--netblock-country", "192.0.2.0/24")
	cliExpect(t, api, ExitUsage, []string{"--clear"}, "override", "set")
	// The refused changes left the overrides as they were.
	cliExpect(t, api, ExitOK, []string{"2001:db8::/32", "IL             EU"}, "override", "list")
	cliExpect(t, api, ExitOK, []string{"overrides replaced: 0 netblock → country, 0 country → continent"}, "override", "set", "--clear")
}

// hostRulesYAML declares a mirror with host rules and both overrides.
const hostRulesYAML = `mirrors:
  - {name: il, country: IL, bandwidth: 100, urls: [https://il.example/pub], countries_allowed: [IL, PS], ipv6: false}
netblock_countries:
  - {netblock: 192.0.2.0/24, country: IL}
country_continents:
  - {country: IL, continent: EU}
`

// TestHostRulesExportImport: export writes the host rules and overrides,
// and importing the export changes nothing; an import whose file lacks
// the overrides refuses to drop them without --replace.
func TestHostRulesExportImport(t *testing.T) {
	env := map[string]string{"METALINKD_DATA_DIR": t.TempDir(), "USER": "alice"}
	if r := runCLI(t, env, hostRulesYAML, "import", "-"); r.code != ExitOK {
		t.Fatalf("import: %+v", r)
	}
	exp := cliExpect(t, env, ExitOK, []string{"countries_allowed:", "- PS", "ipv6: false", "netblock_countries:",
		"netblock: 192.0.2.0/24", "country_continents:", "continent: EU"}, "export", "--declarative")
	if r := runCLI(t, env, exp.stdout, "import", "--dry-run", "-"); r.code != ExitOK || !strings.Contains(r.stdout+r.stderr, "no changes") {
		t.Errorf("re-importing the export: %+v", r)
	}
	without := "mirrors:\n  - {name: il, country: IL, bandwidth: 100, urls: [https://il.example/pub]}\n"
	r := runCLI(t, env, without, "import", "-")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "netblock country 192.0.2.0/24") || !strings.Contains(r.stderr, "country continent IL") {
		t.Errorf("import without the overrides: %+v", r)
	}
	r = runCLI(t, env, without, "import", "--dry-run", "--replace", "-")
	if !strings.Contains(r.stdout, "~ mirror il: countries_allowed, ipv6") {
		t.Errorf("dry run names the changed fields: %+v", r)
	}
}

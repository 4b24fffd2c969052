package metalink

import (
	"net/netip"
	"testing"
)

// TestFirstStep checks that an answer names the step that listed its first
// mirror, which the access log and the metrics report.
func TestFirstStep(t *testing.T) {
	snap := fixtureSnapshot(t)
	for _, tt := range []struct {
		query  string
		client Client
		want   Step
	}{
		{"repo=fedora-41&arch=x86_64&location=us-east-1", de, StepLocation},
		{"repo=fedora-41&arch=x86_64", Client{Addr: netip.MustParseAddr("198.51.100.7")}, StepNetblock},
		{"repo=fedora-41&arch=x86_64", Client{Addr: netip.MustParseAddr("100.64.0.9"), ASN: 64500, Country: "JP"}, StepASN},
		{"repo=fedora-41&arch=x86_64", de, StepCountry},
		{"repo=fedora-41&arch=x86_64", Client{}, StepGlobal},
		{"repo=fedora-41&arch=x86_64&country=global", Client{}, StepGlobal},
		{"repo=nothing-here&arch=x86_64", de, StepNone},
	} {
		q := ParseQuery(tt.query)
		for _, isMetalink := range []bool{true, false} {
			resp := Answer(nil, snap, &q, isMetalink, tt.client, Options{Minimum: DefaultMinimum, Rand: seeded()})
			if resp.Step != tt.want {
				t.Errorf("%s (%+v, metalink %t): step %v, want %v", tt.query, tt.client, isMetalink, resp.Step, tt.want)
			}
		}
	}
}

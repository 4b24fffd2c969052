package metalink

import (
	"net/netip"
	"testing"
)

// TestFirstStep checks that an answer names the step that listed its first
// mirror, for the access log.
func TestFirstStep(t *testing.T) {
	addr := netip.MustParseAddr
	cases := []struct {
		name   string
		query  string
		client Client
		want   Step
	}{
		{"location", "repo=fedora-41&arch=x86_64&location=us-east-1", de, StepLocation},
		{"cloud region", "repo=fedora-41&arch=x86_64", Client{Addr: addr("203.0.113.9")}, StepCloud},
		{"netblock", "repo=fedora-41&arch=x86_64", Client{Addr: addr("198.51.100.7")}, StepNetblock},
		{"asn", "repo=fedora-41&arch=x86_64", Client{Addr: addr("100.64.0.9"), ASN: 64500, Country: "JP"}, StepASN},
		{"country", "repo=fedora-41&arch=x86_64", de, StepCountry},
		{"requested country", "repo=fedora-41&arch=x86_64&country=FR", Client{}, StepCountry},
		{"continent", "repo=fedora-41&arch=x86_64&country=PT", Client{}, StepContinent},
		{"global", "repo=fedora-41&arch=x86_64", Client{}, StepGlobal},
		{"requested global", "repo=fedora-41&arch=x86_64&country=global", de, StepGlobal},
		{"failure", "repo=nope&arch=x86_64", de, StepNone},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, isMetalink := range []bool{true, false} {
				if got := answer(t, c.query, isMetalink, c.client).FirstStep; got != c.want {
					t.Errorf("metalink=%v: first step %q, want %q", isMetalink, got, c.want)
				}
			}
		})
	}
	if got := answer(t, "repo=fedora-41&arch=x86_64&redirect=1", false, de).FirstStep; got != StepCountry {
		t.Errorf("redirect: first step %q, want country", got)
	}
}

func TestStepNames(t *testing.T) {
	want := []string{"", "location", "cloud", "netblock", "asn", "country", "continent", "global"}
	for i, w := range want {
		if got := Step(i).String(); got != w {
			t.Errorf("Step(%d) = %q, want %q", i, got, w)
		}
	}
	if got := Step(200).String(); got != "" {
		t.Errorf("Step(200) = %q, want empty", got)
	}
}

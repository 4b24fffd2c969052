package mirrorsfile

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

const valid = `locations:
  - name: us-east-1
mirrors:
  - name: m1
    country: de
    bandwidth: 100
    urls: [https://m1.example/pub/, http://m1.example/pub]
    netblocks: [192.0.2.0/24, 2001:db8::1]
  - name: s3
    country: US
    bandwidth: 1000
    enabled: false
    region: us-east-1
    locations: [us-east-1]
    urls: [https://b.s3.amazonaws.com/pub]
repositories:
  - {prefix: fedora-41, arch: x86_64, directory: releases/41/Everything/x86_64/os}
`

func TestParseValid(t *testing.T) {
	f, err := Parse(strings.NewReader(valid))
	if err != nil {
		t.Fatal(err)
	}
	m := f.Dataset.Mirrors[0]
	if m.Country != "DE" || !m.Enabled || m.URLs[0] != "https://m1.example/pub" || m.Netblocks[1] != "2001:db8::1/128" {
		t.Errorf("not normalised: %+v", m)
	}
	if f.Dataset.Mirrors[1].Enabled {
		t.Error("enabled: false was not kept")
	}
	if f.Complete {
		t.Error("a plain mirrors file taken for an export")
	}
}

func TestRoundTrip(t *testing.T) {
	f, err := Parse(strings.NewReader(valid))
	if err != nil {
		t.Fatal(err)
	}
	f.Dataset.Directories = []store.Directory{{Path: "releases/41/Everything/x86_64/os", Current: store.Repomd{Size: 1, SHA256: strings.Repeat("a", 64)}}}
	f.Dataset.Freshness = []store.Freshness{{Mirror: "m1", Directory: "releases/41/Everything/x86_64/os", SHA256: strings.Repeat("a", 64)}}
	var buf bytes.Buffer
	if err := Write(&buf, YAML, f.Dataset, true, nil); err != nil {
		t.Fatal(err)
	}
	g, err := Parse(&buf)
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if !g.Complete {
		t.Error("an export was not recognised as complete")
	}
	if diff := cmp.Diff(f.Dataset, g.Dataset); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestParseErrorsNameFieldAndLine(t *testing.T) {
	cases := []struct {
		name, doc string
		want      []string
	}{
		{"bad country", "mirrors:\n  - name: m\n    country: XX\n    bandwidth: 1\n    urls: [http://a.example]\n",
			[]string{`mirrors[0].country ("m") at line 3`, "ISO 3166"}},
		{"zero bandwidth", "mirrors:\n  - name: m\n    country: DE\n    bandwidth: 0\n    urls: [http://a.example]\n",
			[]string{"mirrors[0].bandwidth", "line 4", "positive"}},
		{"URL without scheme", "mirrors:\n  - name: m\n    country: DE\n    bandwidth: 1\n    urls: [a.example/pub]\n",
			[]string{"mirrors[0].urls[0]", "line 5", "no scheme"}},
		{"URL with query", "mirrors:\n  - name: m\n    country: DE\n    bandwidth: 1\n    urls: [\"http://a.example/?x=1\"]\n",
			[]string{"mirrors[0].urls[0]", "query"}},
		{"bad netblock", "mirrors:\n  - name: m\n    country: DE\n    bandwidth: 1\n    urls: [http://a.example]\n    netblocks: [192.0.2.1/24]\n",
			[]string{"mirrors[0].netblocks[0]", "line 6", "host bits", "192.0.2.0/24"}},
		{"unknown location", "mirrors:\n  - name: m\n    country: DE\n    bandwidth: 1\n    urls: [http://a.example]\n    locations: [mars]\n",
			[]string{"mirrors[0].locations[0]", "unknown location"}},
		{"duplicate mirror", "mirrors:\n  - {name: m, country: DE, bandwidth: 1, urls: [http://a.example]}\n  - {name: m, country: DE, bandwidth: 1, urls: [http://b.example]}\n",
			[]string{"mirrors[1].name", "line 3", "duplicate"}},
		{"bad location name", "locations:\n  - name: US_East\n", []string{"locations[0].name", "line 2"}},
		{"unknown field", "mirrors:\n  - name: m\n    contry: DE\n", []string{"line 3", "contry"}},
		{"wrong type", "mirrors:\n  - name: m\n    bandwidth: lots\n", []string{"line 3", "lots"}},
		{"bad directory", "repositories:\n  - {prefix: r, arch: x86_64, directory: /abs/path}\n", []string{"repositories[0].directory", "line 2"}},
		{"redirect loop", "redirects:\n  - {from: a, to: b}\n  - {from: b, to: a}\n", []string{"redirects[0].to", "itself redirected"}},
		{"bad scan rule", "scan_rules:\n  - {pattern: '(', repo: r, arch: a}\n", []string{"scan_rules[0].pattern"}},
		{"empty", "", []string{"empty"}},
		{"not YAML", "mirrors: [\n", []string{"mirrors file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(c.doc))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	_, err := Parse(strings.NewReader("mirrors:\n  - name: m\n    country: XX\n    bandwidth: 1\n    urls: [http://a.example]\n"))
	if !errors.Is(err, store.ErrInvalid) {
		t.Errorf("validation error %v does not match store.ErrInvalid", err)
	}
}

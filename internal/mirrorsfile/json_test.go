package mirrorsfile

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

func TestJSONRoundTrip(t *testing.T) {
	f, err := Parse(strings.NewReader(valid))
	if err != nil {
		t.Fatal(err)
	}
	dir := "releases/41/Everything/x86_64/os"
	f.Dataset.Directories = []store.Directory{{Path: dir, Current: store.Repomd{Size: 1, SHA256: strings.Repeat("a", 64)}}}
	f.Dataset.TreeDirectories = []string{"releases/41", dir, "releases/41/Workstation/x86_64/iso"}
	f.Dataset.Files = []store.TreeFile{
		{Path: "releases/41/Workstation/x86_64/iso/a.iso", Size: 3, MTime: 1729000000, SHA256: strings.Repeat("b", 64)},
		{Path: "releases/41/Workstation/x86_64/iso/b.raw.xz", Size: 4, MTime: 1729000001},
	}
	for i := range 2500 { // more than one YAML batch
		d := fmt.Sprintf("%s/%d", dir, i)
		f.Dataset.Directories = append(f.Dataset.Directories, store.Directory{Path: d, Current: store.Repomd{Size: 1, SHA256: strings.Repeat("a", 64)}})
		x := store.Freshness{Mirror: "m1", Directory: d, SHA256: strings.Repeat("a", 64)}
		if i%2 == 0 {
			x.Source = store.SourceCrawl
		}
		f.Dataset.Freshness = append(f.Dataset.Freshness, x)
	}
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	f.Dataset.Health = []store.MirrorHealth{{Mirror: "m1", LastCrawl: at, ConsecutiveFailures: 4, Disabled: true,
		Reason: "4 consecutive failed crawls", Since: at,
		Protocols: []store.ProtocolHealth{{Protocol: "https", LastFailure: at, LastReason: "timeout", ConsecutiveFailures: 4}}}}
	for _, format := range []Format{JSON, YAML} {
		var buf bytes.Buffer
		if err := Write(&buf, format, f.Dataset, true, nil); err != nil {
			t.Fatal(err)
		}
		if isJSON := strings.HasPrefix(buf.String(), "{"); isJSON != (format == JSON) {
			t.Errorf("%s: written as %.20q", format, buf.String())
		}
		g, err := Parse(&buf)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if !g.Complete || g.FreshnessOnly {
			t.Errorf("%s: complete %v, freshness only %v", format, g.Complete, g.FreshnessOnly)
		}
		if diff := cmp.Diff(f.Dataset, g.Dataset); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", format, diff)
		}
	}
}

func TestJSONRefusals(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown key":          `{"mirors": []}`,
		"unknown nested field": `{"mirrors": [{"name": "m1", "colour": "red"}]}`,
		"unknown row field":    `{"freshness": [{"mirror": "m1", "dir": "x"}]}`,
		"trailing data":        `{"mirrors": []} {}`,
		"truncated":            `{"mirrors": [`,
		"invalid mirror":       `{"mirrors": [{"name": "m1", "country": "XX", "bandwidth": 1, "urls": ["https://m1.example/"]}]}`,
	} {
		if _, err := Parse(strings.NewReader(" \n" + doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestFreshnessOnly(t *testing.T) {
	for _, doc := range []string{
		`{"freshness": [{"mirror": "m1", "directory": "d", "sha256": "` + strings.Repeat("a", 64) + `", "reported": "2026-03-01T12:00:00Z"}]}`,
		"freshness:\n- mirror: m1\n  directory: d\n  sha256: " + strings.Repeat("a", 64) + "\n  reported: 2026-03-01T12:00:00Z\n",
	} {
		f, err := Parse(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if !f.FreshnessOnly || f.Complete || len(f.Dataset.Freshness) != 1 {
			t.Errorf("freshness only %v, complete %v, %d rows", f.FreshnessOnly, f.Complete, len(f.Dataset.Freshness))
		}
	}
}

package cloudranges

import (
	"os"
	"strings"
	"testing"
)

func TestParseAWS(t *testing.T) {
	f, err := os.Open("testdata/ip-ranges.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, ranges, err := ParseAWS(f)
	if err != nil {
		t.Fatal(err)
	}
	if src.SyncToken != "1732000000" || src.Provider != "aws" {
		t.Errorf("source %+v", src)
	}
	// EC2 only: 4 IPv4 (the AMAZON duplicate, S3 and CLOUDFRONT are not guest addresses) + 2 IPv6.
	if len(ranges) != 6 {
		t.Fatalf("%d ranges: %+v", len(ranges), ranges)
	}
	got := map[string]int{}
	for _, r := range ranges {
		if r.Provider != ProviderAWS {
			t.Errorf("range %+v: provider %q", r, r.Provider)
		}
		got[r.Region]++
	}
	want := map[string]int{"us-east-1": 2, "eu-west-1": 2, "ap-southeast-2": 1, "us-west-2": 1}
	for r, n := range want {
		if got[r] != n {
			t.Errorf("%s: %d ranges, want %d", r, got[r], n)
		}
	}
}

func TestParseAWSRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"not json":     "<html>",
		"no syncToken": `{"prefixes": []}`,
		"no EC2":       `{"syncToken": "1", "prefixes": [{"ip_prefix": "192.0.2.0/24", "region": "us-east-1", "service": "S3"}]}`,
		"bad prefix":   `{"syncToken": "1", "prefixes": [{"ip_prefix": "192.0.2.0/33", "region": "us-east-1", "service": "EC2"}]}`,
		"bad region":   `{"syncToken": "1", "prefixes": [{"ip_prefix": "192.0.2.0/24", "region": "US East", "service": "EC2"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := ParseAWS(strings.NewReader(doc)); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func FuzzParseAWS(f *testing.F) {
	b, _ := os.ReadFile("testdata/ip-ranges.json")
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, ranges, err := ParseAWS(strings.NewReader(string(b)))
		if err == nil && len(ranges) == 0 {
			t.Fatal("success without ranges")
		}
	})
}

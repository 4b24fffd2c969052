package metalink

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// TestCloudRangesAndVerification covers selection step 2 and --verify-location.
func TestCloudRangesAndVerification(t *testing.T) {
	snap := fixtureSnapshot(t)
	dir := snap.repo("fedora-41", "x86_64").Dir
	inUSEast := netip.MustParseAddr("203.0.113.9")
	inUSEast6 := netip.MustParseAddr("2001:db8:1::5")
	inEUWest := netip.MustParseAddr("203.0.113.200")
	outside := netip.MustParseAddr("192.0.2.1")
	cases := []struct {
		name       string
		query      string
		addr       netip.Addr
		verify     bool
		wantBucket bool
		header     string
	}{
		{"cloud address without location", "", inUSEast, false, true, "Using cloud region us-east-1 "},
		{"cloud IPv6 address with a literal $location", "location=$location", inUSEast6, false, true, "Using cloud region us-east-1 "},
		{"location from outside, unverified", "location=us-east-1", outside, false, true, "location = us-east-1 "},
		{"location from outside, verified", "location=us-east-1", outside, true, false, ""},
		{"location from its own region, verified", "location=us-east-1", inUSEast, true, true, "location = us-east-1 "},
		{"location from another region, verified", "location=us-east-1", inEUWest, true, false, "country = global "},
		{"wrong claim from us-east-1, verified", "location=eu-west-1", inUSEast, true, true, "Using cloud region us-east-1 "},
		{"explicit location wins over the address, unverified", "location=eu-west-1", inUSEast, false, false, "country = global "},
		{"address in a region without mirrors", "", inEUWest, false, false, "country = global "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := ParseQuery(c.query)
			s := &selector{}
			s.run(snap, dir, &q, Client{Addr: c.addr}, Options{Minimum: DefaultMinimum, Rand: seeded(), VerifyLocation: c.verify})
			got := names(snap, s.out)
			hasBucket := len(got) > 0 && got[0] == "s3-us-east-1"
			if hasBucket != c.wantBucket || (!c.wantBucket && slices.Contains(got, "s3-us-east-1")) {
				t.Errorf("order %v: bucket first = %v, want %v", got, hasBucket, c.wantBucket)
			}
			if c.header != "" && !strings.HasPrefix(string(s.header), c.header) {
				t.Errorf("header %q, want it to start with %q", s.header, c.header)
			}
		})
	}
}

// TestClaimedAddress checks that an address named in ip= never reaches a
// private mirror, location verification or cloud-range steering: only the
// real address does. It may select public mirrors by their netblocks.
func TestClaimedAddress(t *testing.T) {
	snap := fixtureSnapshot(t)
	dir := snap.repo("fedora-41", "x86_64").Dir
	campus := netip.MustParseAddr("198.51.100.7") // in campus' private netblock and wide's public one
	inUSEast := netip.MustParseAddr("203.0.113.9")
	outside := netip.MustParseAddr("192.0.2.1")
	cases := []struct {
		name          string
		query         string
		real, claimed netip.Addr
		verify        bool
		want, notWant []string // mirrors that must (in this order, first) or must not be listed
	}{
		{"claimed private netblock", "", outside, campus, false, []string{"wide"}, []string{"campus"}},
		{"real private netblock, claimed elsewhere", "", campus, outside, false, []string{"campus"}, nil},
		{"real and claimed alike", "", campus, campus, false, []string{"campus", "wide"}, nil},
		{"claimed cloud range", "", outside, inUSEast, false, nil, []string{"s3-us-east-1"}},
		{"claimed cloud range, verified location", "location=us-east-1", outside, inUSEast, true, nil, []string{"s3-us-east-1"}},
		{"real cloud range, claimed elsewhere", "", inUSEast, outside, false, []string{"s3-us-east-1"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := ParseQuery(c.query)
			s := &selector{}
			s.run(snap, dir, &q, Client{Addr: c.real, Claimed: c.claimed}, Options{Minimum: DefaultMinimum, Rand: seeded(), VerifyLocation: c.verify})
			got := names(snap, s.out)
			if len(got) < len(c.want) || !slices.Equal(got[:len(c.want)], c.want) {
				t.Errorf("order %v, want it to start with %v", got, c.want)
			}
			for _, n := range c.notWant {
				if slices.Contains(got, n) {
					t.Errorf("order %v lists %s", got, n)
				}
			}
		})
	}
}

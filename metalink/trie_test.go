package metalink

import (
	"net/netip"
	"slices"
	"testing"
)

func TestPrefixTable(t *testing.T) {
	var tab prefixTable[string]
	entries := []struct{ prefix, value string }{
		{"10.0.0.0/8", "a8"},
		{"10.1.0.0/16", "b16"},
		{"10.1.2.0/24", "c24"},
		{"10.1.2.0/24", "c24-second"},
		{"192.0.2.1/32", "host"},
		{"2001:db8::/32", "v6-32"},
		{"2001:db8:1::/48", "v6-48"},
		// A v4-mapped prefix is stored as the IPv4 prefix it denotes.
		{"::ffff:198.51.100.0/120", "mapped"},
	}
	for _, e := range entries {
		tab.Insert(netip.MustParsePrefix(e.prefix), e.value)
	}
	if tab.Len() != len(entries) {
		t.Errorf("Len() = %d, want %d", tab.Len(), len(entries))
	}
	cases := []struct {
		name string
		addr string
		// want lists "prefix value" matches, longest prefix first.
		want []string
	}{
		{"v4 nested, longest first", "10.1.2.3",
			[]string{"10.1.2.0/24 c24", "10.1.2.0/24 c24-second", "10.1.0.0/16 b16", "10.0.0.0/8 a8"}},
		{"v4 two levels", "10.1.3.1", []string{"10.1.0.0/16 b16", "10.0.0.0/8 a8"}},
		{"v4 one level", "10.200.0.1", []string{"10.0.0.0/8 a8"}},
		{"v4 host route", "192.0.2.1", []string{"192.0.2.1/32 host"}},
		{"v4 next to a host route", "192.0.2.2", nil},
		{"v4 no match", "11.0.0.1", nil},
		{"v6 nested, longest first", "2001:db8:1::5", []string{"2001:db8:1::/48 v6-48", "2001:db8::/32 v6-32"}},
		{"v6 one level", "2001:db8:2::5", []string{"2001:db8::/32 v6-32"}},
		{"v6 no match", "2001:db9::1", nil},
		{"v4-mapped address finds v4 prefixes", "::ffff:10.1.3.1", []string{"10.1.0.0/16 b16", "10.0.0.0/8 a8"}},
		{"v4-mapped prefix found by v4 address", "198.51.100.7", []string{"198.51.100.0/24 mapped"}},
		{"v4-mapped prefix found by v4-mapped address", "::ffff:198.51.100.7", []string{"198.51.100.0/24 mapped"}},
		{"v6 address with v4 prefix bits", "a01:203::", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := tab.Lookup(nil, netip.MustParseAddr(c.addr))
			for i := 1; i < len(got); i++ {
				if got[i].Prefix.Bits() > got[i-1].Prefix.Bits() {
					t.Errorf("%v before %v: want the longest prefix first", got[i-1].Prefix, got[i].Prefix)
				}
			}
			// The order among values of one prefix is not specified.
			var gotText []string
			for _, m := range got {
				gotText = append(gotText, m.Prefix.String()+" "+m.Value)
			}
			if !slices.Equal(slices.Sorted(slices.Values(gotText)), slices.Sorted(slices.Values(c.want))) {
				t.Errorf("Lookup(%s) = %q, want %q", c.addr, gotText, c.want)
			}
		})
	}
}

func TestPrefixTableLookupAppends(t *testing.T) {
	var tab prefixTable[string]
	tab.Insert(netip.MustParsePrefix("10.0.0.0/8"), "a8")
	tab.Insert(netip.MustParsePrefix("10.1.0.0/16"), "b16")
	kept := prefixValue[string]{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Value: "kept"}
	got := tab.Lookup([]prefixValue[string]{kept}, netip.MustParseAddr("10.1.0.1"))
	want := []string{"kept", "b16", "a8"}
	var values []string
	for _, m := range got {
		values = append(values, m.Value)
	}
	if !slices.Equal(values, want) {
		t.Errorf("Lookup appended %q, want %q", values, want)
	}
}

func TestPrefixTableEmpty(t *testing.T) {
	var tab prefixTable[int]
	if got := tab.Lookup(nil, netip.MustParseAddr("10.0.0.1")); len(got) != 0 {
		t.Errorf("empty table v4 lookup = %v", got)
	}
	if got := tab.Lookup(nil, netip.MustParseAddr("2001:db8::1")); len(got) != 0 {
		t.Errorf("empty table v6 lookup = %v", got)
	}
}

package geoip_test

import (
	"net/netip"
	"testing"

	"github.com/metalinkd/metalinkd/internal/geoip"
	"github.com/metalinkd/metalinkd/internal/geoip/geoiptest"
)

func TestLookup(t *testing.T) {
	path := geoiptest.Write(t, []geoiptest.Entry{
		{CIDR: "192.0.2.0/24", Country: "de", ASN: 64500},
		{CIDR: "2001:db8::/32", Country: "FR"},
		{CIDR: "198.51.100.0/24", ASN: 64501},
	})
	db, err := geoip.Open(path, path, 16*geoip.EntryBytes)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cases := []struct {
		addr string
		want geoip.Result
	}{
		{"192.0.2.7", geoip.Result{Country: "DE", ASN: 64500}},
		{"::ffff:192.0.2.7", geoip.Result{Country: "DE", ASN: 64500}},
		{"2001:db8::1", geoip.Result{Country: "FR"}},
		{"198.51.100.1", geoip.Result{ASN: 64501}},
		{"203.0.113.1", geoip.Result{}},
	}
	for range 2 { // the second round comes from the cache
		for _, c := range cases {
			if got := db.Lookup(netip.MustParseAddr(c.addr)); got != c.want {
				t.Errorf("%s: %+v, want %+v", c.addr, got, c.want)
			}
		}
	}
	if got := db.Lookup(netip.Addr{}); got != (geoip.Result{}) {
		t.Errorf("invalid address: %+v", got)
	}
}

func TestNilAndMissing(t *testing.T) {
	var db *geoip.DB
	if got := db.Lookup(netip.MustParseAddr("192.0.2.1")); got != (geoip.Result{}) {
		t.Errorf("nil database answered %+v", got)
	}
	if _, err := geoip.Open("/nonexistent.mmdb", "", 1); err == nil {
		t.Error("opened a missing file")
	}
}

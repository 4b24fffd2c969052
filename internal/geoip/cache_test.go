package geoip_test

import (
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/internal/geoip"
	"github.com/metalinkd/metalinkd/internal/geoip/geoiptest"
)

// heapInUse returns the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestCacheBoundedInBytes sends 200,000 distinct hostile keys (IPv6
// addresses with long zones, their v4-mapped twins, plain distinct
// addresses) through the lookup cache: the heap it keeps must stay within
// the cache's byte bound, whatever the keys look like.
func TestCacheBoundedInBytes(t *testing.T) {
	path := geoiptest.Write(t, []geoiptest.Entry{{CIDR: "10.0.0.0/8", Country: "DE", ASN: 64500}})
	const cacheBytes = 4 << 20
	const slack = 4 << 20 // the databases, the runtime's own growth
	before := heapInUse()
	db, err := geoip.Open(path, path, cacheBytes)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	zone := strings.Repeat("z", 200)
	for i := range 200_000 {
		var a netip.Addr
		switch i % 4 {
		case 0: // a long zone, distinct for each key
			a = netip.MustParseAddr(fmt.Sprintf("fe80::%x%%%s%d", i&0xffff, zone, i))
		case 1: // the v4-mapped twin of an IPv4 address
			a = netip.MustParseAddr(fmt.Sprintf("::ffff:10.%d.%d.%d", i>>16&0xff, i>>8&0xff, i&0xff))
		case 2:
			a = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		default:
			a = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 12: byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)})
		}
		db.Lookup(a)
	}
	after := heapInUse()
	runtime.KeepAlive(db)
	grown := int64(after) - int64(before)
	t.Logf("heap before %.1f MiB, after 200,000 hostile keys %.1f MiB (grown %.1f MiB, cache bound %d MiB)",
		float64(before)/(1<<20), float64(after)/(1<<20), float64(grown)/(1<<20), cacheBytes>>20)
	if grown > cacheBytes+slack {
		t.Errorf("heap grew by %d bytes, over the cache bound %d plus %d", grown, cacheBytes, slack)
	}
	if got := db.Lookup(netip.MustParseAddr("::ffff:10.1.2.3%eth0")); got != (geoip.Result{Country: "DE", ASN: 64500}) {
		t.Errorf("mapped address with a zone: %+v", got)
	}
}

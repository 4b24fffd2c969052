// Package geoip looks up a client's country and autonomous system in
// MaxMind-format databases (GeoLite2/GeoIP2 Country and ASN, or any mmdb
// with the same fields), with a cache bounded in bytes in front.
package geoip

import (
	"errors"
	"fmt"
	"net/netip"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/oschwald/maxminddb-golang/v2"
)

// Result is what is known of one address.
type Result struct {
	Country string // upper-case ISO 3166 code, "" when unknown
	ASN     uint32 // 0 when unknown
}

// DB answers lookups from up to two databases: one with countries, one with
// autonomous systems (both may be the same file).
type DB struct {
	country, asn *maxminddb.Reader
	cache        *lru.Cache[netip.Addr, Result]
}

// EntryBytes is what one cached lookup costs on the heap at most: with
// hashicorp/golang-lru/v2 on 64-bit, its list entry, its map slot and the
// result measure about 165 bytes, more while the map is freshly grown. Keys
// have a fixed size, since Lookup strips zones, and results hold no text of
// their own, so the cache's bound in bytes is a bound in entries.
const EntryBytes = 256

// Open opens the databases; either path may be empty. The lookup cache
// keeps at most cacheBytes of the heap (at least one entry).
func Open(countryPath, asnPath string, cacheBytes int) (*DB, error) {
	db := &DB{}
	var err error
	if countryPath != "" {
		if db.country, err = maxminddb.Open(countryPath); err != nil {
			return nil, fmt.Errorf("geoip: country database %s: %w", countryPath, err)
		}
	}
	if asnPath != "" {
		if db.asn, err = maxminddb.Open(asnPath); err != nil {
			db.Close()
			return nil, fmt.Errorf("geoip: ASN database %s: %w", asnPath, err)
		}
	}
	db.cache, _ = lru.New[netip.Addr, Result](max(cacheBytes/EntryBytes, 1))
	return db, nil
}

type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
	ASN uint32 `maxminddb:"autonomous_system_number"`
}

// Lookup returns the country and ASN of a; unknown parts are left empty.
// The address is looked up, and cached, in its canonical form: IPv4-mapped
// addresses unmapped, IPv6 zones dropped. A zone names an interface of the
// client's host, means nothing here, and would let a client make any number
// of distinct keys, each holding its own copy of the zone's text.
func (db *DB) Lookup(a netip.Addr) Result {
	if db == nil || !a.IsValid() {
		return Result{}
	}
	a = a.Unmap().WithZone("")
	if r, ok := db.cache.Get(a); ok {
		return r
	}
	var res Result
	if db.country != nil {
		var rec record
		if err := db.country.Lookup(a).Decode(&rec); err == nil {
			res.Country = rec.Country.ISOCode
			if res.Country == "" {
				res.Country = rec.RegisteredCountry.ISOCode
			}
			res.Country = countryCode(res.Country)
		}
	}
	if db.asn != nil {
		var rec record
		if err := db.asn.Lookup(a).Decode(&rec); err == nil {
			res.ASN = rec.ASN
		}
	}
	db.cache.Add(a, res)
	return res
}

// Close releases the databases.
func (db *DB) Close() error {
	if db == nil {
		return nil
	}
	var errs []error
	if db.country != nil {
		errs = append(errs, db.country.Close())
	}
	if db.asn != nil {
		errs = append(errs, db.asn.Close())
	}
	return errors.Join(errs...)
}

// countryCode returns an ISO 3166 code in upper case, as one of a few
// shared strings when it is two ASCII letters, else "" (unknown): a cached
// result then holds no text of its own.
func countryCode(s string) string {
	if len(s) != 2 || !isLetter(s[0]) || !isLetter(s[1]) {
		return ""
	}
	return countryCodes[int(s[0]|0x20-'a')*26+int(s[1]|0x20-'a')]
}

func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// countryCodes holds every pair of upper-case letters, "AA" to "ZZ".
var countryCodes = func() []string {
	codes := make([]string, 26*26)
	for i := range codes {
		codes[i] = string([]byte{byte('A' + i/26), byte('A' + i%26)})
	}
	return codes
}()

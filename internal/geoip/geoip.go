// Package geoip looks up a client's country and autonomous system in
// MaxMind-format databases (GeoLite2/GeoIP2 Country and ASN, or any mmdb
// with the same fields), with a small cache in front.
package geoip

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

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

// Open opens the databases; either path may be empty.
func Open(countryPath, asnPath string, cacheSize int) (*DB, error) {
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
	if cacheSize < 1 {
		cacheSize = 1
	}
	db.cache, _ = lru.New[netip.Addr, Result](cacheSize)
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
func (db *DB) Lookup(a netip.Addr) Result {
	if db == nil || !a.IsValid() {
		return Result{}
	}
	a = a.Unmap()
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
			res.Country = strings.ToUpper(res.Country)
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

// Package geoiptest writes small MaxMind-format databases for tests, with
// MaxMind's own writer, so that tests read real mmdb files.
package geoiptest

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Entry maps a network to a country and an autonomous system.
type Entry struct {
	CIDR    string
	Country string
	ASN     uint32
}

// Write writes a database with country and ASN records to a temp file and
// returns its path.
func Write(t testing.TB, entries []Entry) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "metalinkd-test", IncludeReservedNetworks: true, RecordSize: 28})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		_, n, err := net.ParseCIDR(e.CIDR)
		if err != nil {
			t.Fatal(err)
		}
		rec := mmdbtype.Map{}
		if e.Country != "" {
			rec["country"] = mmdbtype.Map{"iso_code": mmdbtype.String(e.Country)}
		}
		if e.ASN != 0 {
			rec["autonomous_system_number"] = mmdbtype.Uint32(e.ASN)
		}
		if err := tree.Insert(n, rec); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "test.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	return path
}

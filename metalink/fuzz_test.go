package metalink

import (
	"encoding/xml"
	"net/netip"
	"strings"
	"testing"
)

// FuzzAnswer feeds arbitrary query strings through parsing, selection and
// rendering: no panic, a status from the known set, well-formed XML for
// metalinks, and no mirrorlist line that is neither a comment nor a mirror URL.
func FuzzAnswer(f *testing.F) {
	for _, s := range []string{
		"repo=fedora-41&arch=x86_64&location=us-east-1",
		"repo=fedora-41&arch=x86_64&location=$location&countme=1",
		"path=releases/41/Everything/x86_64/os/repodata/repomd.xml&redirect=1",
		"repo=fedora-source-41&arch=x86_64&country=DE,global&protocol=https,http&time",
		"repo=%zz&arch=%0A&ip=::1&netblock=0&cc=fr",
		"repo=--%3E&arch=x&path=/../..//a",
		"&&=&repo&arch&path",
	} {
		f.Add(s)
	}
	snap := fixtureSnapshot(f)
	f.Fuzz(func(t *testing.T, raw string) {
		q := ParseQuery(raw)
		c := Client{Addr: netip.MustParseAddr("198.51.100.7"), Country: "DE", ASN: 64500}
		if a, err := netip.ParseAddr(q.IP); err == nil {
			c.Addr = a
		}
		for _, isMetalink := range []bool{true, false} {
			r := Answer(nil, snap, &q, isMetalink, c, Options{Minimum: DefaultMinimum, Rand: seeded(), Now: testNow})
			switch r.Status {
			case 200, 302, 404:
			default:
				t.Fatalf("status %d for %q", r.Status, raw)
			}
			if isMetalink {
				var doc struct{ XMLName xml.Name }
				if err := xml.Unmarshal(r.Body, &doc); err != nil || doc.XMLName.Local != "metalink" {
					t.Fatalf("metalink for %q is not well-formed (%v):\n%s", raw, err, r.Body)
				}
				continue
			}
			if r.Status != 200 {
				continue
			}
			for _, line := range strings.Split(strings.TrimSuffix(string(r.Body), "\n"), "\n") {
				if line == "" || strings.HasPrefix(line, "#") || line == "repo disabled" {
					continue
				}
				if !fromMirror(snap, line) {
					t.Fatalf("line %q of the mirrorlist for %q is not a mirror URL", line, raw)
				}
			}
		}
	})
}

func fromMirror(snap *Snapshot, line string) bool {
	for _, m := range snap.mirrors {
		for _, u := range m.URLs {
			if strings.HasPrefix(line, u.Base+"/") {
				return true
			}
		}
	}
	return false
}

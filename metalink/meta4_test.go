package metalink

import (
	"encoding/xml"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// meta4Doc is the part of RFC 5854's document these tests read.
type meta4Doc struct {
	XMLName   xml.Name `xml:"urn:ietf:params:xml:ns:metalink metalink"`
	Published string   `xml:"published"`
	Files     []struct {
		Name   string `xml:"name,attr"`
		Size   int64  `xml:"size"`
		Hashes []struct {
			Type  string `xml:"type,attr"`
			Value string `xml:",chardata"`
		} `xml:"hash"`
		Pieces struct {
			Length int64    `xml:"length,attr"`
			Type   string   `xml:"type,attr"`
			Hashes []string `xml:"hash"`
		} `xml:"pieces"`
		URLs []struct {
			Location string `xml:"location,attr"`
			Priority int    `xml:"priority,attr"`
			Value    string `xml:",chardata"`
		} `xml:"url"`
	} `xml:"file"`
}

type metalink3URLs struct {
	URLs []struct {
		Location   string `xml:"location,attr"`
		Preference int    `xml:"preference,attr"`
		Value      string `xml:",chardata"`
	} `xml:"files>file>resources>url"`
}

// TestMeta4MatchesMetalink3 pins Metalink 4 as the same answer in RFC 5854's
// words: the same URLs in the same order, priority = 101 − preference, the
// location in lower case, IANA hash names, the current repomd's size, the
// answer's time as <published>, and no alternates.
func TestMeta4MatchesMetalink3(t *testing.T) {
	snap := fixtureSnapshot(t)
	clients := []Client{de, {Addr: netip.MustParseAddr("198.51.100.7"), Country: "DE"}, {Country: "JP"}}
	for _, query := range []string{"repo=fedora-41&arch=x86_64", "repo=fedora-41&arch=x86_64&location=us-east-1",
		"repo=fedora-41&arch=x86_64&protocol=http,https", "path=releases/41/Everything/x86_64/os/repodata/repomd.xml"} {
		for _, c := range clients {
			q := ParseQuery(query)
			v3 := Answer(nil, snap, &q, true, c, Options{Minimum: DefaultMinimum, Rand: seeded(), Now: testNow})
			v4 := Answer(nil, snap, &q, true, c, Options{Minimum: DefaultMinimum, Rand: seeded(), Now: testNow, Meta4: true})
			if v4.ContentType != Metalink4Type || v4.Status != 200 {
				t.Fatalf("%s: %d %s", query, v4.Status, v4.ContentType)
			}
			if v4.FirstStep != v3.FirstStep || v4.FirstStep == StepNone {
				t.Errorf("%s: first step %v, Metalink 3.0's %v", query, v4.FirstStep, v3.FirstStep)
			}
			var d4 meta4Doc
			var d3 metalink3URLs
			if err := xml.Unmarshal(v4.Body, &d4); err != nil {
				t.Fatalf("%s: %v\n%s", query, err, v4.Body)
			}
			if err := xml.Unmarshal(v3.Body, &d3); err != nil {
				t.Fatal(err)
			}
			if len(d4.Files) != 1 || d4.Files[0].Name != "repomd.xml" || d4.Files[0].Size != 3069 {
				t.Fatalf("%s: files %+v", query, d4.Files)
			}
			if p, err := time.Parse(time.RFC3339, d4.Published); err != nil || !p.Equal(testNow) {
				t.Errorf("published %q, want %s", d4.Published, testNow.Format(time.RFC3339))
			}
			var types []string
			for _, h := range d4.Files[0].Hashes {
				types = append(types, h.Type+"="+h.Value[:1])
			}
			if got := strings.Join(types, " "); got != "md5=a sha-1=b sha-256=5 sha-512=c" {
				t.Errorf("hashes %s", got)
			}
			if p := d4.Files[0].Pieces; p.Length != 3069 || p.Type != "sha-256" || len(p.Hashes) != 1 || p.Hashes[0] != sha {
				t.Errorf("pieces %+v, want one sha-256 piece of the whole file", p)
			}
			u4 := d4.Files[0].URLs
			if len(u4) != len(d3.URLs) || len(u4) == 0 {
				t.Fatalf("%s: %d URLs in Metalink 4, %d in 3.0", query, len(u4), len(d3.URLs))
			}
			for i, u := range d3.URLs {
				want := strconv.Itoa(101-u.Preference) + " " + strings.ToLower(u.Location) + " " + u.Value
				if got := strconv.Itoa(u4[i].Priority) + " " + u4[i].Location + " " + u4[i].Value; got != want {
					t.Errorf("%s: url %d: %s, want %s", query, i, got, want)
				}
			}
			if strings.Contains(string(v4.Body), "alternate") || strings.Contains(string(v4.Body), oldSHA) {
				t.Errorf("%s: alternates in a Metalink 4 answer", query)
			}
		}
	}
}

// TestMeta4Negotiation: meta4=1 or the server's negotiation (Options.Meta4)
// gives Metalink 4 for /metalink; a mirrorlist is unaffected; errors come as
// Metalink 4 documents with the same status.
func TestMeta4Negotiation(t *testing.T) {
	snap := fixtureSnapshot(t)
	cases := []struct {
		query      string
		isMetalink bool
		meta4      bool
		wantType   string
		wantStatus int
	}{
		{"repo=fedora-41&arch=x86_64&meta4=1", true, false, Metalink4Type, 200},
		{"repo=fedora-41&arch=x86_64", true, true, Metalink4Type, 200},
		{"repo=fedora-41&arch=x86_64&meta4=0", true, false, MetalinkType, 200},
		{"repo=fedora-41&arch=x86_64", true, false, MetalinkType, 200},
		{"repo=fedora-41&arch=x86_64&meta4=1", false, true, MirrorlistType, 200},
		{"repo=nope&arch=x86_64", true, true, Metalink4Type, 404},
		{"repo=fedora-41&arch=x86_64&protocol=gopher", true, true, Metalink4Type, 200},
	}
	for _, c := range cases {
		q := ParseQuery(c.query)
		r := Answer(nil, snap, &q, c.isMetalink, de, Options{Minimum: DefaultMinimum, Rand: seeded(), Now: testNow, Meta4: c.meta4})
		if r.ContentType != c.wantType || r.Status != c.wantStatus {
			t.Errorf("%s (metalink %v, meta4 %v): %d %s, want %d %s", c.query, c.isMetalink, c.meta4, r.Status, r.ContentType, c.wantStatus, c.wantType)
		}
		if c.wantType == Metalink4Type {
			var d meta4Doc
			if err := xml.Unmarshal(r.Body, &d); err != nil {
				t.Errorf("%s: not a Metalink 4 document: %v\n%s", c.query, err, r.Body)
			}
		}
	}
}

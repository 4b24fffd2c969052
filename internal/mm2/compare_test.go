package mm2

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const refMetalink = `<?xml version="1.0" encoding="utf-8"?>
<metalink version="3.0" xmlns="http://www.metalinker.org/" type="dynamic" pubdate="Mon, 30 Nov 2026 10:00:00 GMT" generator="mirrormanager" xmlns:mm0="http://fedorahosted.org/mirrormanager">
 <files>
  <file name="repomd.xml">
   <mm0:timestamp>1796000000</mm0:timestamp>
   <size>3000</size>
   <verification><hash type="sha256">aa</hash></verification>
   <mm0:alternates><mm0:alternate><mm0:timestamp>1795900000</mm0:timestamp></mm0:alternate></mm0:alternates>
   <resources maxconnections="1">
    <url protocol="https" type="https" location="US" preference="100" mm0:private="True">https://corp.example.com/pub/r/repodata/repomd.xml</url>
    <url protocol="https" type="https" location="DE" preference="99">https://a.example.de/pub/r/repodata/repomd.xml</url>
    <url protocol="rsync" type="rsync" location="DE" preference="99">rsync://a.example.de/pub/r/repodata/repomd.xml</url>
    <url protocol="https" type="https" location="DE" preference="98">https://b.example.de/pub/r/repodata/repomd.xml</url>
    <url protocol="https" type="https" location="FR" preference="97">https://c.example.fr/pub/r/repodata/repomd.xml</url>
   </resources>
  </file>
 </files>
</metalink>
`

func TestParseMetalink(t *testing.T) {
	a, err := ParseMetalink([]byte(refMetalink))
	if err != nil {
		t.Fatal(err)
	}
	want := &Answer{Alternates: 1, Mirrors: []ListedMirror{
		{Host: "corp.example.com", Country: "US", Private: true, URLs: []string{"https://corp.example.com/pub/r/repodata/repomd.xml"}, Protocol: []string{"https"}},
		{Host: "a.example.de", Country: "DE", URLs: []string{"https://a.example.de/pub/r/repodata/repomd.xml", "rsync://a.example.de/pub/r/repodata/repomd.xml"}, Protocol: []string{"https", "rsync"}},
		{Host: "b.example.de", Country: "DE", URLs: []string{"https://b.example.de/pub/r/repodata/repomd.xml"}, Protocol: []string{"https"}},
		{Host: "c.example.fr", Country: "FR", URLs: []string{"https://c.example.fr/pub/r/repodata/repomd.xml"}, Protocol: []string{"https"}},
	}}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	e, err := ParseMetalink([]byte(`<?xml version="1.0" encoding="utf-8"?>
<metalink version="3.0" xmlns="http://www.metalinker.org/"><!-- repo disabled --></metalink>`))
	if err != nil || e.Error != "repo disabled" {
		t.Errorf("error document: %+v, %v", e, err)
	}
	for _, bad := range []string{"", "<html><body>502</body></html>", "<metalink><files><file><resources><url>not a url</url>"} {
		if _, err := ParseMetalink([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseMirrorlist(t *testing.T) {
	a, err := ParseMirrorlist([]byte("# repo = r arch = a country = DE\nhttps://a.example.de/pub/r/\nhttp://b.example.de/pub/r/\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Hosts(); !cmp.Equal(got, []string{"a.example.de", "b.example.de"}) {
		t.Errorf("hosts %v", got)
	}
	e, err := ParseMirrorlist([]byte("# repo disabled\n"))
	if err != nil || e.Error != "# repo disabled" {
		t.Errorf("error list: %+v, %v", e, err)
	}
}

// TestCompareAnswers: the shuffle within a run is no difference; another
// set of hosts, another run or an error on one side is.
func TestCompareAnswers(t *testing.T) {
	ref, err := ParseMetalink([]byte(refMetalink))
	if err != nil {
		t.Fatal(err)
	}
	swap := func(body string) *Answer {
		a, err := ParseMetalink([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	shuffled := strings.Replace(strings.Replace(strings.Replace(refMetalink,
		"https://a.example.de", "https://X", 1), "https://b.example.de", "https://a.example.de", 1), "https://X", "https://b.example.de", 1)
	cases := []struct {
		name string
		ours *Answer
		want []string
	}{
		{"identical", ref, nil},
		{"shuffled within the country", swap(shuffled), nil},
		{"a mirror more", swap(strings.Replace(refMetalink, "c.example.fr", "d.example.fr", 1)),
			[]string{"q: only the reference lists c.example.fr", "q: only ours lists d.example.fr"}},
		{"continent before country", swap(strings.Replace(strings.Replace(refMetalink, `location="FR" preference="97"`, `location="DE" preference="97"`, 1),
			`location="DE" preference="98"`, `location="FR" preference="98"`, 1)),
			[]string{"q: order: the reference lists private×1, country×2, continent×1, ours private×1, country×1, continent×1, country×1"}},
		{"error", &Answer{Error: "repo disabled"}, []string{`q: ours answers "repo disabled", the reference lists 4 mirrors`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, d := range CompareAnswers("q", "DE", ref, c.ours) {
				got = append(got, d.String())
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// FuzzParseMetalink: answers come from the network; parsing never panics
// and what it returns is consistent.
func FuzzParseMetalink(f *testing.F) {
	f.Add([]byte(refMetalink))
	f.Add([]byte(`<metalink><!-- x --></metalink>`))
	f.Add([]byte(`<metalink><files><file><resources><url location="de">http://[::1]:80/x</url></resources></file></files></metalink>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseMetalink(b)
		if err != nil {
			return
		}
		for _, m := range a.Mirrors {
			if m.Host == "" || len(m.URLs) == 0 || len(m.URLs) != len(m.Protocol) {
				t.Fatalf("inconsistent mirror %+v", m)
			}
		}
		Tiers(a, "DE")
		CompareAnswers("q", "DE", a, a)
	})
}

// FuzzParseMirrorlist: as FuzzParseMetalink, for mirrorlists.
func FuzzParseMirrorlist(f *testing.F) {
	f.Add([]byte("# repo = r\nhttps://a.example/x/\n"))
	f.Add([]byte("\n\n#\nftp://[::1]/\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseMirrorlist(b)
		if err != nil {
			return
		}
		if a.Error == "" && len(a.Mirrors) == 0 && strings.TrimSpace(string(b)) != "" && !strings.HasPrefix(strings.TrimSpace(string(b)), "#") {
			t.Fatalf("%q: neither mirrors nor an error", b)
		}
		if d := CompareAnswers("q", "", a, a); len(d) > 0 {
			t.Fatalf("an answer differs from itself: %v", d)
		}
	})
}

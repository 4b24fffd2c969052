package metalink

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// FuzzAnswer feeds arbitrary query strings through parsing, selection and
// rendering: no panic, a status from the known set, and nothing a client
// sends can add a line or an element to an answer. A mirrorlist is the '#'
// header line (and the creation time with time=) followed by mirror URLs
// only; an error answer has comment lines only; a metalink has exactly the
// elements of the format (Metalink 3.0 or 4), in their places, and every
// <url> is a mirror's.
func FuzzAnswer(f *testing.F) {
	for _, s := range []string{
		"repo=fedora-41&arch=x86_64&location=us-east-1",
		"repo=fedora-41&arch=x86_64&location=$location&countme=1",
		"path=releases/41/Everything/x86_64/os/repodata/repomd.xml&redirect=1",
		"repo=fedora-source-41&arch=x86_64&country=DE,global&protocol=https,http&time",
		"repo=%zz&arch=%0A&ip=::1&netblock=0&cc=fr",
		"repo=--%3E&arch=x&path=/../..//a",
		"repo=fedora-41&arch=x86_64&protocol=%0Ahttps://evil.example/pwn",
		"repo=fedora-41&arch=x86_64&country=de%0Ahttp://evil.example/",
		"path=releases/41/Everything/x86_64/os/%0Ahttp://evil.example/",
		"&&=&repo&arch&path",
		"repo=fedora-41&arch=x86_64&meta4=1&protocol=https,rsync",
		"repo=nope&arch=x86_64&meta4=1",
		"path=pub/fedora/linux/releases/41/Workstation/x86_64/iso/Fedora-Workstation-Live-x86_64-41-1.4.iso&meta4=1",
		"path=releases/41/Workstation/x86_64/iso/Fedora-Workstation-Live-x86_64-41-1.4.iso&redirect=1",
		"path=other/stuff/%3Cx%3E&protocol=http",
	} {
		f.Add(s)
	}
	snap := treeSnapshot(f)
	f.Fuzz(func(t *testing.T, raw string) {
		q := ParseQuery(raw)
		c := Client{Addr: netip.MustParseAddr("198.51.100.7"), Country: "DE", ASN: 64500}
		if a, err := netip.ParseAddr(q.IP); err == nil {
			c.Addr = a
		}
		for _, isMetalink := range []bool{true, false} {
			r := Answer(nil, snap, &q, isMetalink, c, Options{Minimum: DefaultMinimum, Rand: seeded(), Now: testNow,
				MountPrefix: "pub/fedora/linux"})
			switch r.Status {
			case 200, 302, 404:
			default:
				t.Fatalf("status %d for %q", r.Status, raw)
			}
			if isMetalink {
				if err := checkMetalink(snap, r.Body); err != nil {
					t.Fatalf("metalink for %q: %v:\n%s", raw, err, r.Body)
				}
				continue
			}
			if err := checkMirrorlist(snap, r.Status, r.Body); err != nil {
				t.Fatalf("mirrorlist for %q: %v:\n%s", raw, err, r.Body)
			}
		}
	})
}

// checkMirrorlist checks the lines of a mirrorlist answer.
func checkMirrorlist(snap *Snapshot, status int, body []byte) error {
	if len(body) == 0 {
		return nil // a redirect, or no mirror to redirect to
	}
	lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	if status != 200 || strings.HasPrefix(lines[0], "# either ") || strings.HasPrefix(lines[0], "# invalid ") {
		for _, line := range lines {
			if !strings.HasPrefix(line, "#") && line != "error: invalid path" {
				return errors.New("error answer has line " + strconv.Quote(line))
			}
		}
		return nil
	}
	if len(lines) == 1 && lines[0] == "repo disabled" {
		return nil
	}
	if !strings.HasPrefix(lines[0], "# repo = ") && !strings.HasPrefix(lines[0], "# path = ") {
		return errors.New("first line is not the header")
	}
	rest := lines[1:]
	if len(rest) > 0 && strings.HasPrefix(rest[0], "# database creation time: ") {
		if strings.Trim(rest[0][len("# database creation time: "):], "0123456789") != "" {
			return errors.New("creation time line " + strconv.Quote(rest[0]))
		}
		rest = rest[1:]
	}
	for _, line := range rest {
		if !fromMirror(snap, line) {
			return errors.New("line " + strconv.Quote(line) + " is not a mirror URL")
		}
	}
	return nil
}

// metalinkPlaces are the elements a metalink may have, by their path from
// the root; mm0: stands for MirrorManager's namespace.
var metalinkPlaces = map[string]bool{}

func init() {
	for _, p := range []string{"m4:metalink", "m4:metalink/m4:generator", "m4:metalink/m4:published", "m4:metalink/m4:file",
		"m4:metalink/m4:file/m4:size", "m4:metalink/m4:file/m4:hash", "m4:metalink/m4:file/m4:url",
		"m4:metalink/m4:file/m4:pieces", "m4:metalink/m4:file/m4:pieces/m4:hash"} {
		metalinkPlaces[p] = true
	}
	details := []string{"mm0:timestamp", "size", "verification", "verification/hash"}
	for _, p := range []string{"metalink", "metalink/files", "metalink/files/file", "metalink/files/file/mm0:alternates",
		"metalink/files/file/mm0:alternates/mm0:alternate", "metalink/files/file/resources", "metalink/files/file/resources/url",
		"metalink/files/file/verification/pieces", "metalink/files/file/verification/pieces/hash"} {
		metalinkPlaces[p] = true
	}
	for _, d := range details {
		metalinkPlaces["metalink/files/file/"+d] = true
		metalinkPlaces["metalink/files/file/mm0:alternates/mm0:alternate/"+d] = true
	}
}

// checkMetalink checks that body is one metalink element holding either
// nothing (an error document) or exactly one file with its resources, with
// no element out of place and every <url> a mirror's repomd.xml or a file
// with recorded details.
func checkMetalink(snap *Snapshot, body []byte) error {
	d := xml.NewDecoder(bytes.NewReader(body))
	var path []string
	var text strings.Builder
	count := map[string]int{}
	repomd := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			name := tok.Name.Local
			if tok.Name.Space == "http://fedorahosted.org/mirrormanager" {
				name = "mm0:" + name
			} else if tok.Name.Space == "urn:ietf:params:xml:ns:metalink" {
				name = "m4:" + name
			} else if tok.Name.Space != "http://www.metalinker.org/" {
				return errors.New("element " + name + " in namespace " + strconv.Quote(tok.Name.Space))
			}
			path = append(path, name)
			p := strings.Join(path, "/")
			if !metalinkPlaces[p] {
				return errors.New("unexpected element " + p)
			}
			count[p]++
			text.Reset()
		case xml.CharData:
			text.Write(tok)
		case xml.EndElement:
			if p := strings.Join(path, "/"); p == "metalink/files/file/resources/url" || p == "m4:metalink/m4:file/m4:url" {
				u := text.String()
				if !(strings.HasSuffix(u, repomdSuffix) || namesFile(snap, u)) || !fromMirror(snap, u) {
					return errors.New("url " + strconv.Quote(u) + " is not a mirror's repomd.xml or recorded file")
				}
				repomd = repomd || strings.HasSuffix(u, repomdSuffix)
			}
			path = path[:len(path)-1]
			text.Reset()
		}
	}
	if count["m4:metalink"] == 1 && count["metalink"] == 0 {
		return checkMeta4Counts(count)
	}
	if count["metalink"] != 1 {
		return errors.New("not one metalink root")
	}
	if count["metalink/files"] == 0 {
		if len(count) != 1 {
			return errors.New("error document with elements")
		}
		return nil
	}
	for _, p := range []string{"metalink/files", "metalink/files/file", "metalink/files/file/resources"} {
		if count[p] != 1 {
			return errors.New("not exactly one " + p)
		}
	}
	// A file's metalink may carry one piece; a repomd.xml's is Fedora's.
	if n := count["metalink/files/file/verification/pieces"]; n > 1 || n == 1 && (repomd || count["metalink/files/file/verification/pieces/hash"] != 1) {
		return errors.New("pieces out of place")
	}
	return nil
}

// namesFile reports whether u ends in the path of a file with recorded details.
func namesFile(snap *Snapshot, u string) bool {
	for p := range snap.files {
		if strings.HasSuffix(u, "/"+p) {
			return true
		}
	}
	return false
}

// checkMeta4Counts checks a Metalink 4 document's shape: one generator and
// one published, then either nothing more (an error document) or one file
// with at most one size.
func checkMeta4Counts(count map[string]int) error {
	if count["m4:metalink/m4:generator"] != 1 || count["m4:metalink/m4:published"] != 1 {
		return errors.New("not one generator and one published")
	}
	if count["m4:metalink/m4:file"] > 1 || count["m4:metalink/m4:file/m4:size"] > 1 {
		return errors.New("more than one file or size")
	}
	if count["m4:metalink/m4:file"] == 0 && len(count) != 3 {
		return errors.New("error document with elements")
	}
	return nil
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

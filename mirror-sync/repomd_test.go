package mirrorsync

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

const repomdFixture = `<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1700000000</revision>
  <data type="primary">
    <checksum type="sha256">AB12</checksum>
    <open-checksum type="sha256">cd</open-checksum>
    <location href="repodata/ab12-primary.xml.zst"/>
    <size>123</size>
  </data>
  <data type="group">
    <checksum type="sha">ff00</checksum>
    <location href="repodata/comps.xml"/>
  </data>
</repomd>`

func TestParseRepomd(t *testing.T) {
	md, err := parseRepomd([]byte(repomdFixture))
	if err != nil {
		t.Fatal(err)
	}
	want := []metaFile{
		{Type: "primary", Href: "repodata/ab12-primary.xml.zst", Size: 123, Checksum: sum{"sha256", "ab12"}},
		{Type: "group", Href: "repodata/comps.xml", Size: -1, Checksum: sum{"sha1", "ff00"}},
	}
	if md.Revision != "1700000000" || len(md.Data) != 2 || md.Data[0] != want[0] || md.Data[1] != want[1] {
		t.Errorf("parseRepomd = %+v", md)
	}
	for name, bad := range map[string]string{
		"not xml":      "<repomd",
		"wrong root":   "<metalink/>",
		"no location":  `<repomd><data type="x"><checksum type="sha256">aa</checksum></data></repomd>`,
		"unknown hash": `<repomd><data type="x"><checksum type="crc32">aa</checksum><location href="a"/></data></repomd>`,
		"bad size":     `<repomd><data type="x"><checksum type="sha256">aa</checksum><location href="a"/><size>x</size></data></repomd>`,
	} {
		if _, err := parseRepomd([]byte(bad)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestDecompress(t *testing.T) {
	const plain = "<hello>bz2</hello>"
	var gz, xzb, zs bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write([]byte(plain))
	gw.Close()
	xw, _ := xz.NewWriter(&xzb)
	xw.Write([]byte(plain))
	xw.Close()
	zw, _ := zstd.NewWriter(&zs)
	zw.Write([]byte(plain))
	zw.Close()
	// bzip2 has no writer in the standard library: a fixed stream.
	bz, _ := base64.StdEncoding.DecodeString("QlpoOTFBWSZTWUgNsYUAAAGZgAAAkAUSRIAQIAAhKAGhADCFNIfjM4QLxdyRThQkEgNsYUA=")
	tests := []struct {
		name string
		in   []byte
	}{
		{"plain", []byte(plain)}, {"gzip", gz.Bytes()}, {"xz", xzb.Bytes()}, {"zstd", zs.Bytes()}, {"bzip2", bz},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc, err := decompress(bytes.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err != nil || string(got) != plain {
				t.Errorf("got %q, %v", got, err)
			}
		})
	}
}

func TestReadPrimary(t *testing.T) {
	const doc = `<?xml version="1.0"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="2">
<package type="rpm"><name>a</name><checksum type="sha256" pkgid="YES">AA</checksum>
 <size package="10" installed="0" archive="1"/><location href="Packages/a.rpm"/><format><rpm:license>MIT</rpm:license></format></package>
<package type="rpm"><name>b</name><checksum type="sha" pkgid="YES">bb</checksum>
 <size package="20"/><location xml:base="https://elsewhere.example/" href="b.rpm"/></package>
</metadata>`
	var got []rpmPackage
	err := readPrimary(strings.NewReader(doc), func(p rpmPackage) error { got = append(got, p); return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []rpmPackage{
		{Href: "Packages/a.rpm", Size: 10, Checksum: sum{"sha256", "aa"}},
		{Href: "b.rpm", Base: "https://elsewhere.example/", Size: 20, Checksum: sum{"sha1", "bb"}},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("readPrimary = %+v", got)
	}
	err = readPrimary(strings.NewReader(`<metadata><package><size package="1"/></package></metadata>`), func(rpmPackage) error { return nil })
	if !errors.Is(err, errChecksum) {
		t.Errorf("package without location: %v", err)
	}
}

func TestTreePath(t *testing.T) {
	tests := []struct {
		dir, href, want string
		bad             bool
	}{
		{"a/b", "Packages/x.rpm", "a/b/Packages/x.rpm", false},
		{"a/b", "../shared/x.rpm", "a/shared/x.rpm", false},
		{"a/b", "../../../x.rpm", "", true},
		{"a/b", "/etc/passwd", "", true},
		{"a/b", "http://x/y.rpm", "", true},
	}
	for _, tc := range tests {
		got, err := treePath(tc.dir, tc.href)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("treePath(%q, %q) = %q, %v", tc.dir, tc.href, got, err)
		}
	}
}

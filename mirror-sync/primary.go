package mirrorsync

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// rpmPackage is one package of primary.xml: where it lies relative to the
// repository directory, its size and its checksum.
type rpmPackage struct {
	Href     string
	Base     string // xml:base, set when the package lives outside the tree
	Size     int64
	Checksum sum
}

type primaryPackage struct {
	Checksum struct {
		Type  string `xml:"type,attr"`
		Value string `xml:",chardata"`
	} `xml:"checksum"`
	Size struct {
		Package int64 `xml:"package,attr"`
	} `xml:"size"`
	Location struct {
		Href string `xml:"href,attr"`
		Base string `xml:"http://www.w3.org/XML/1998/namespace base,attr"`
	} `xml:"location"`
}

// readPrimary streams the (uncompressed) primary.xml in r and calls fn for
// each package, holding one package in memory at a time: Fedora's primary is
// hundreds of megabytes once uncompressed.
func readPrimary(r io.Reader, fn func(rpmPackage) error) error {
	dec := xml.NewDecoder(r)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("primary: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "package" {
			continue
		}
		var p primaryPackage
		if err := dec.DecodeElement(&p, &se); err != nil {
			return fmt.Errorf("primary: %w", err)
		}
		pkg := rpmPackage{
			Href:     p.Location.Href,
			Base:     p.Location.Base,
			Size:     p.Size.Package,
			Checksum: sum{Type: normalSumType(p.Checksum.Type), Value: strings.ToLower(strings.TrimSpace(p.Checksum.Value))},
		}
		if pkg.Href == "" || pkg.Checksum.Value == "" {
			return fmt.Errorf("primary: package without location or checksum: %w", errChecksum)
		}
		if _, err := newHash(pkg.Checksum.Type); err != nil {
			return err
		}
		if err := fn(pkg); err != nil {
			return err
		}
	}
}

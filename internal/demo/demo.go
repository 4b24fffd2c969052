// Package demo holds the built-in data set of `metalinkd serve --demo`: a
// realistic mirror network whose repomd.xml comes from a tiny real
// repository built with rpmbuild and createrepo_c (kept in repo/).
package demo

import (
	"bytes"
	_ "embed"
	"fmt"
	"time"

	"github.com/metalinkd/metalinkd/internal/mirrorsfile"
	"github.com/metalinkd/metalinkd/internal/scan"
	"github.com/metalinkd/metalinkd/store"
)

//go:embed demo.yaml
var mirrorsYAML []byte

//go:embed repo/repodata/repomd.xml
var repomdXML []byte

// Dataset returns the demo data set, with every repository directory
// carrying the fixture's repomd.xml as scanned at time now.
func Dataset(now time.Time) (*store.Dataset, error) {
	f, err := mirrorsfile.Parse(bytes.NewReader(mirrorsYAML))
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	ts, err := scan.Timestamp(repomdXML)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	d := f.Dataset
	r := scan.Describe(repomdXML, ts)
	r.Recorded = now
	for _, repo := range d.Repositories {
		d.Directories = append(d.Directories, store.Directory{Path: repo.Directory, Current: r})
	}
	d.Normalize()
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return d, nil
}

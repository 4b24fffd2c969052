// Package mirrorsfile reads and writes the declarative mirrors file (YAML,
// or JSON, which is YAML too): locations, mirrors, repositories, redirects
// and scan rules, plus, in an export, the scanned directories and freshness.
package mirrorsfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/metalinkd/metalinkd/store"
)

// mirror is store.Mirror as written in the file: enabled defaults to true.
type mirror struct {
	Name           string   `yaml:"name"`
	Country        string   `yaml:"country"`
	Bandwidth      int      `yaml:"bandwidth"`
	Enabled        *bool    `yaml:"enabled"`
	Private        bool     `yaml:"private,omitempty"`
	AlwaysUpToDate bool     `yaml:"always_up_to_date,omitempty"`
	URLs           []string `yaml:"urls"`
	Netblocks      []string `yaml:"netblocks,omitempty"`
	ASN            uint32   `yaml:"asn,omitempty"`
	Locations      []string `yaml:"locations,omitempty"`
	Region         string   `yaml:"region,omitempty"`
	Bucket         string   `yaml:"bucket,omitempty"`
}

type file struct {
	Locations    []store.Location   `yaml:"locations"`
	Mirrors      []mirror           `yaml:"mirrors"`
	Repositories []store.Repository `yaml:"repositories"`
	Redirects    []store.Redirect   `yaml:"redirects,omitempty"`
	ScanRules    []store.ScanRule   `yaml:"scan_rules,omitempty"`
	// Present in exports only.
	Directories []store.Directory `yaml:"directories,omitempty"`
	Freshness   []store.Freshness `yaml:"freshness,omitempty"`
}

// File is a parsed mirrors file.
type File struct {
	Dataset *store.Dataset
	// Complete is true when the file is an export with scanned directories:
	// importing it replaces everything rather than the declarative part.
	Complete bool
}

// maxFileSize bounds what Parse reads.
const maxFileSize = 64 << 20

// Parse reads a mirrors file and validates it on its own. Errors name the
// entry, the field and the line.
func Parse(r io.Reader) (*File, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("mirrors file: larger than %d MiB", maxFileSize>>20)
	}
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("mirrors file: empty")
		}
		return nil, fmt.Errorf("mirrors file: %w", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("mirrors file: %w", err)
	}
	d := &store.Dataset{
		Locations: f.Locations, Repositories: f.Repositories, Redirects: f.Redirects,
		ScanRules: f.ScanRules, Directories: f.Directories, Freshness: f.Freshness,
	}
	for _, m := range f.Mirrors {
		sm := store.Mirror{
			Name: m.Name, Country: m.Country, Bandwidth: m.Bandwidth, Enabled: m.Enabled == nil || *m.Enabled,
			Private: m.Private, AlwaysUpToDate: m.AlwaysUpToDate, URLs: m.URLs, Netblocks: m.Netblocks,
			ASN: m.ASN, Locations: m.Locations, Region: m.Region, Bucket: m.Bucket,
		}
		store.NormalizeMirror(&sm)
		d.Mirrors = append(d.Mirrors, sm)
	}
	if err := d.Validate(); err != nil {
		var ve *store.ValidationError
		if errors.As(err, &ve) {
			lines := lineIndex(&root)
			for i := range ve.Fields {
				ve.Fields[i].Line = lineOf(lines, ve.Fields[i].Field)
			}
		}
		return nil, fmt.Errorf("mirrors file: %w", err)
	}
	return &File{Dataset: d, Complete: len(d.Directories) > 0 || len(d.Freshness) > 0}, nil
}

// lineIndex maps field paths such as "mirrors[2].urls[0]" to source lines.
func lineIndex(root *yaml.Node) map[string]int {
	lines := map[string]int{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if path != "" {
			lines[path] = n.Line
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				key := n.Content[i].Value
				if path != "" {
					key = path + "." + key
				}
				walk(n.Content[i+1], key)
				lines[key] = n.Content[i].Line
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(root, "")
	return lines
}

// lineOf finds the line of a field, or of its nearest enclosing entry.
func lineOf(lines map[string]int, field string) int {
	for field != "" {
		if l, ok := lines[field]; ok {
			return l
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			break
		}
		field = field[:i]
	}
	return 0
}

// Write writes d as a mirrors file; with complete, the scanned directories
// and freshness are included, so that the file restores the whole store.
func Write(w io.Writer, d *store.Dataset, complete bool) error {
	f := file{Locations: d.Locations, Repositories: d.Repositories, Redirects: d.Redirects, ScanRules: d.ScanRules}
	for _, m := range d.Mirrors {
		enabled := m.Enabled
		f.Mirrors = append(f.Mirrors, mirror{
			Name: m.Name, Country: m.Country, Bandwidth: m.Bandwidth, Enabled: &enabled, Private: m.Private,
			AlwaysUpToDate: m.AlwaysUpToDate, URLs: m.URLs, Netblocks: m.Netblocks, ASN: m.ASN,
			Locations: m.Locations, Region: m.Region, Bucket: m.Bucket,
		})
	}
	if complete {
		f.Directories, f.Freshness = d.Directories, d.Freshness
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&f); err != nil {
		return err
	}
	return enc.Close()
}

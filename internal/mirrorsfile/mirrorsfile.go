// Package mirrorsfile reads and writes the declarative mirrors file (YAML,
// or JSON, which is YAML too): locations, mirrors, repositories, redirects
// and scan rules, plus, in an export, the scanned directories and freshness.
package mirrorsfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/metalinkd/metalinkd/internal/yamlpos"
	"github.com/metalinkd/metalinkd/store"
)

// mirror is store.Mirror as written in the file: enabled defaults to true.
type mirror struct {
	Name           string   `yaml:"name" json:"name"`
	Country        string   `yaml:"country" json:"country"`
	Bandwidth      int      `yaml:"bandwidth" json:"bandwidth"`
	Enabled        *bool    `yaml:"enabled" json:"enabled"`
	Private        bool     `yaml:"private,omitempty" json:"private,omitempty"`
	AlwaysUpToDate bool     `yaml:"always_up_to_date,omitempty" json:"always_up_to_date,omitempty"`
	URLs           []string `yaml:"urls" json:"urls"`
	Netblocks      []string `yaml:"netblocks,omitempty" json:"netblocks,omitempty"`
	ASN            uint32   `yaml:"asn,omitempty" json:"asn,omitempty"`
	Locations      []string `yaml:"locations,omitempty" json:"locations,omitempty"`
	Region         string   `yaml:"region,omitempty" json:"region,omitempty"`
	Bucket         string   `yaml:"bucket,omitempty" json:"bucket,omitempty"`
	// Countries the mirror serves alone; both families unless set false.
	CountriesAllowed []string `yaml:"countries_allowed,omitempty" json:"countries_allowed,omitempty"`
	IPv4             *bool    `yaml:"ipv4,omitempty" json:"ipv4,omitempty"`
	IPv6             *bool    `yaml:"ipv6,omitempty" json:"ipv6,omitempty"`
}

type file struct {
	Locations    []store.Location   `yaml:"locations" json:"locations"`
	Mirrors      []mirror           `yaml:"mirrors" json:"mirrors"`
	Repositories []store.Repository `yaml:"repositories" json:"repositories"`
	Redirects    []store.Redirect   `yaml:"redirects,omitempty" json:"redirects,omitempty"`
	ScanRules    []store.ScanRule   `yaml:"scan_rules,omitempty" json:"scan_rules,omitempty"`
	// The admin's overrides of GeoIP and of the continent table.
	NetblockCountries []store.NetblockCountry  `yaml:"netblock_countries,omitempty" json:"netblock_countries,omitempty"`
	CountryContinents []store.CountryContinent `yaml:"country_continents,omitempty" json:"country_continents,omitempty"`
	// Present in exports only.
	Directories     []store.Directory `yaml:"directories,omitempty" json:"directories,omitempty"`
	TreeDirectories []string          `yaml:"tree_directories,omitempty" json:"tree_directories,omitempty"`
	Files           []store.TreeFile  `yaml:"files,omitempty" json:"files,omitempty"`
	Freshness       []store.Freshness `yaml:"freshness,omitempty" json:"freshness,omitempty"`
	// The crawler's health of the mirrors (exports only): which it took
	// out of answers, and why.
	Health []store.MirrorHealth `yaml:"health,omitempty" json:"health,omitempty"`
}

// File is a parsed mirrors file.
type File struct {
	Dataset *store.Dataset
	// Complete is true when the file is an export with scanned directories:
	// importing it replaces everything rather than the declarative part.
	Complete bool
	// FreshnessOnly is true when the file holds freshness rows and nothing
	// else: reports to record in bulk. They are checked against the store,
	// not against the file, which names neither mirrors nor directories.
	FreshnessOnly bool
}

// maxYAMLSize bounds what Parse reads of a YAML file, which it holds whole
// with its syntax tree (for the line numbers of errors). JSON is read as a
// stream, without a limit: it is the format for large networks.
const maxYAMLSize = 64 << 20

// Parse reads a mirrors file, YAML or JSON (an object at the start), and
// validates it on its own. Errors name the entry and the field, and in
// YAML the line.
func Parse(r io.Reader) (*File, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if startsJSONObject(br) {
		f, err := decodeJSON(br)
		if err != nil {
			return nil, fmt.Errorf("mirrors file: %w", err)
		}
		return check(f, nil)
	}
	b, err := io.ReadAll(io.LimitReader(br, maxYAMLSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxYAMLSize {
		return nil, fmt.Errorf("mirrors file: larger than %d MiB; write large data sets as JSON (export --format json)", maxYAMLSize>>20)
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
	return check(&f, &root)
}

// check turns a decoded file into a validated File; root, when there is
// one, gives errors their line numbers.
func check(f *file, root *yaml.Node) (*File, error) {
	d := &store.Dataset{
		Locations: f.Locations, Repositories: f.Repositories, Redirects: f.Redirects,
		ScanRules: f.ScanRules, Directories: f.Directories, Freshness: f.Freshness, Health: f.Health,
		TreeDirectories: f.TreeDirectories, Files: f.Files,
		NetblockCountries: f.NetblockCountries, CountryContinents: f.CountryContinents,
	}
	for _, m := range f.Mirrors {
		sm := store.Mirror{
			Name: m.Name, Country: m.Country, Bandwidth: m.Bandwidth, Enabled: m.Enabled == nil || *m.Enabled,
			Private: m.Private, AlwaysUpToDate: m.AlwaysUpToDate, URLs: m.URLs, Netblocks: m.Netblocks,
			ASN: m.ASN, Locations: m.Locations, Region: m.Region, Bucket: m.Bucket,
			CountriesAllowed: m.CountriesAllowed, IPv4: m.IPv4, IPv6: m.IPv6,
		}
		store.NormalizeMirror(&sm)
		d.Mirrors = append(d.Mirrors, sm)
	}
	if len(d.Freshness) > 0 && len(d.Mirrors)+len(d.Locations)+len(d.Repositories)+len(d.Redirects)+
		len(d.ScanRules)+len(d.Directories)+len(d.Health)+len(d.TreeDirectories)+len(d.Files)+
		len(d.NetblockCountries)+len(d.CountryContinents) == 0 {
		return &File{Dataset: d, FreshnessOnly: true}, nil
	}
	// Codes in upper case before validation, sorted only after it, so that
	// an error names the entry as the file orders it (and so its line).
	for i := range d.NetblockCountries {
		d.NetblockCountries[i].Country = strings.ToUpper(d.NetblockCountries[i].Country)
	}
	for i := range d.CountryContinents {
		o := &d.CountryContinents[i]
		o.Country, o.Continent = strings.ToUpper(o.Country), strings.ToUpper(o.Continent)
	}
	if err := d.Validate(); err != nil {
		var ve *store.ValidationError
		if errors.As(err, &ve) && root != nil {
			lines := yamlpos.Lines(root)
			for i := range ve.Fields {
				ve.Fields[i].Line = yamlpos.LineOf(lines, ve.Fields[i].Field)
			}
		}
		return nil, fmt.Errorf("mirrors file: %w", err)
	}
	store.NormalizeOverrides(d.NetblockCountries, d.CountryContinents)
	return &File{Dataset: d, Complete: len(d.Directories) > 0 || len(d.Freshness) > 0 ||
		len(d.TreeDirectories) > 0 || len(d.Files) > 0}, nil
}

package mirrorsfile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"

	"github.com/metalinkd/metalinkd/store"
)

// Format is the syntax a mirrors file is written in.
type Format string

// The formats Write writes. Parse reads both, YAML up to a size limit.
const (
	YAML Format = "yaml"
	JSON Format = "json"
)

// Rows calls yield with each freshness row in turn, stopping at its first
// error, so that a large network's freshness is written without being held.
type Rows func(yield func(store.Freshness) error) error

// Write writes d as a mirrors file in format f; with complete, the scanned
// directories, the freshness (with its source) and the crawler's health
// are included, so that the file restores the whole store. The freshness rows come from rows when it is not nil (d's
// own are then ignored), one at a time.
func Write(w io.Writer, f Format, d *store.Dataset, complete bool, rows Rows) error {
	head := file{Locations: d.Locations, Repositories: d.Repositories, Redirects: d.Redirects, ScanRules: d.ScanRules,
		NetblockCountries: d.NetblockCountries, CountryContinents: d.CountryContinents}
	for _, m := range d.Mirrors {
		enabled := m.Enabled
		head.Mirrors = append(head.Mirrors, mirror{
			Name: m.Name, Country: m.Country, Bandwidth: m.Bandwidth, Enabled: &enabled, Private: m.Private,
			AlwaysUpToDate: m.AlwaysUpToDate, URLs: m.URLs, Netblocks: m.Netblocks, ASN: m.ASN,
			Locations: m.Locations, Region: m.Region, Bucket: m.Bucket,
			CountriesAllowed: m.CountriesAllowed, IPv4: m.IPv4, IPv6: m.IPv6,
		})
	}
	if !complete {
		rows = func(func(store.Freshness) error) error { return nil }
	} else {
		head.Directories = d.Directories
		head.TreeDirectories, head.Files = d.TreeDirectories, d.Files
		head.Health = d.Health
		if rows == nil {
			rows = func(yield func(store.Freshness) error) error {
				for _, x := range d.Freshness {
					if err := yield(x); err != nil {
						return err
					}
				}
				return nil
			}
		}
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	var err error
	switch f {
	case JSON:
		err = writeJSON(bw, &head, rows)
	case YAML, "":
		err = writeYAML(bw, &head, rows)
	default:
		err = fmt.Errorf("mirrors file: unknown format %q", f)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// writeJSON writes head as one object, its freshness one row per line.
func writeJSON(w *bufio.Writer, head *file, rows Rows) error {
	// Lists that are always written are written as lists, even empty.
	if head.Locations == nil {
		head.Locations = []store.Location{}
	}
	if head.Mirrors == nil {
		head.Mirrors = []mirror{}
	}
	if head.Repositories == nil {
		head.Repositories = []store.Repository{}
	}
	b, err := json.MarshalIndent(head, "", " ")
	if err != nil {
		return err
	}
	b = bytes.TrimSuffix(bytes.TrimSpace(b), []byte("}"))
	b = bytes.TrimSpace(b)
	if _, err := w.Write(b); err != nil {
		return err
	}
	n := 0
	err = rows(func(x store.Freshness) error {
		sep := ",\n"
		if n == 0 {
			sep = ",\n \"freshness\": [\n"
		}
		n++
		if _, err := w.WriteString(sep); err != nil {
			return err
		}
		row, err := json.Marshal(x)
		if err != nil {
			return err
		}
		_, err = w.Write(row)
		return err
	})
	if err != nil {
		return err
	}
	if n > 0 {
		_, err = w.WriteString("\n ]")
		if err != nil {
			return err
		}
	}
	_, err = w.WriteString("\n}\n")
	return err
}

// yamlBatch is how many freshness rows writeYAML encodes at once.
const yamlBatch = 1000

// writeYAML writes head as YAML, then the freshness rows as a block list,
// in batches so that the encoder's overhead is paid per batch.
func writeYAML(w *bufio.Writer, head *file, rows Rows) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(head); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	batch := make([]store.Freshness, 0, yamlBatch)
	started := false
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if !started {
			started = true
			if _, err := w.WriteString("freshness:\n"); err != nil {
				return err
			}
		}
		// A list at the margin is the value of the key above it.
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(batch); err != nil {
			return err
		}
		batch = batch[:0]
		return enc.Close()
	}
	err := rows(func(x store.Freshness) error {
		batch = append(batch, x)
		if len(batch) == yamlBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

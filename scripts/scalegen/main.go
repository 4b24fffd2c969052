// Command scalegen writes a Fedora-shaped data set of a chosen size as a
// JSON mirrors file (the shape `metalinkd export --format json` writes and
// `metalinkd import` reads), for measuring the stores at scale. With
// -embedded-json it writes instead the document of the data directory's
// former JSON file (metalinkd.json), to measure or test its migration.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"time"
)

type mirror struct {
	Name      string   `json:"name"`
	Country   string   `json:"country"`
	Bandwidth int      `json:"bandwidth"`
	Enabled   bool     `json:"enabled"`
	URLs      []string `json:"urls"`
	Netblocks []string `json:"netblocks,omitempty"`
	ASN       uint32   `json:"asn,omitempty"`
	Locations []string `json:"locations,omitempty"`
	Region    string   `json:"region,omitempty"`
	Bucket    string   `json:"bucket,omitempty"`
}

type location struct {
	Name         string   `json:"name"`
	CloudRegions []string `json:"cloud_regions,omitempty"`
}

type repository struct {
	Prefix    string `json:"prefix"`
	Arch      string `json:"arch"`
	Directory string `json:"directory"`
}

type repomd struct {
	Size      int64     `json:"size"`
	Timestamp int64     `json:"timestamp"`
	SHA256    string    `json:"sha256"`
	Recorded  time.Time `json:"recorded"`
}

type directory struct {
	Path    string `json:"path"`
	Current repomd `json:"current"`
}

type freshness struct {
	Mirror    string    `json:"mirror"`
	Directory string    `json:"directory"`
	SHA256    string    `json:"sha256"`
	Reported  time.Time `json:"reported"`
}

type dataset struct {
	Locations    []location   `json:"locations"`
	Mirrors      []mirror     `json:"mirrors"`
	Repositories []repository `json:"repositories"`
	Directories  []directory  `json:"directories"`
	Freshness    []freshness  `json:"freshness"`
}

var countries = []string{"US", "DE", "FR", "GB", "NL", "SE", "NO", "FI", "DK", "PL", "CZ", "AT", "CH", "IT", "ES",
	"PT", "BE", "IE", "RU", "UA", "RO", "BG", "GR", "TR", "IL", "IN", "CN", "JP", "KR", "TW", "HK", "SG", "MY", "TH",
	"VN", "ID", "PH", "AU", "NZ", "CA", "MX", "BR", "AR", "CL", "CO", "PE", "ZA", "KE", "NG", "EG", "MA", "SA", "AE",
	"IR", "PK", "BD", "KZ", "HU", "SK", "SI"}

var arches = []string{"x86_64", "aarch64", "ppc64le", "s390x", "i386", "armhfp", "source", "riscv64", "noarch", "debug"}

func main() {
	mirrors := flag.Int("mirrors", 1000, "public mirrors")
	regional := flag.Int("regional", 20, "regional bucket mirrors (one location each)")
	dirs := flag.Int("directories", 3000, "scanned directories, each a repository")
	netblocks := flag.Int("netblocks", 50000, "netblocks, spread over the public mirrors")
	fresh := flag.Int("freshness", 500000, "mirror×directory freshness rows (at most mirrors×directories)")
	embedded := flag.Bool("embedded-json", false, "write the former embedded store's document (metalinkd.json)")
	flag.Parse()
	if *mirrors < 1 || *fresh > (*mirrors+*regional)**dirs {
		log.Fatal("scalegen: need at least one mirror and no more freshness rows than mirrors × directories")
	}
	d := generate(*mirrors, *regional, *dirs, *netblocks, *fresh)
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	var doc any = d
	if *embedded {
		doc = struct {
			Format  int      `json:"format"`
			Dataset *dataset `json:"dataset"`
		}{1, d}
	}
	if err := json.NewEncoder(w).Encode(doc); err != nil {
		log.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func generate(nMirrors, nRegional, nDirs, nNetblocks, nFresh int) *dataset {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	d := &dataset{}
	for i := range nRegional {
		region := fmt.Sprintf("region-%02d", i)
		d.Locations = append(d.Locations, location{Name: region, CloudRegions: []string{region}})
	}
	perMirror := nNetblocks / max(nMirrors, 1)
	extra := nNetblocks % max(nMirrors, 1)
	block := 0
	for i := range nMirrors {
		name := fmt.Sprintf("mirror-%04d.example.org", i)
		m := mirror{Name: name, Country: countries[i%len(countries)], Bandwidth: 100 + i%10*100, Enabled: true,
			URLs: []string{"https://" + name + "/pub/fedora", "rsync://" + name + "/fedora"}, ASN: uint32(64512 + i%1000)}
		n := perMirror
		if i < extra {
			n++
		}
		for range n {
			m.Netblocks = append(m.Netblocks, fmt.Sprintf("%d.%d.%d.0/24", 10+block>>16, block>>8&0xff, block&0xff))
			block++
		}
		d.Mirrors = append(d.Mirrors, m)
	}
	for i := range nRegional {
		region := d.Locations[i].Name
		name := fmt.Sprintf("bucket-%02d", i)
		d.Mirrors = append(d.Mirrors, mirror{Name: name, Country: "US", Bandwidth: 10000, Enabled: true,
			URLs: []string{"https://" + name + ".s3.example.com/pub/fedora"}, Locations: []string{region},
			Region: region, Bucket: "fedora-" + name})
	}
	for i := range nDirs {
		arch := arches[i%len(arches)]
		kind := []string{"releases", "updates", "updates/testing"}[i/len(arches)%3]
		variant := i / len(arches) / 3
		path := fmt.Sprintf("pub/fedora/linux/%s/%d/Everything/%s/os", kind, variant, arch)
		d.Directories = append(d.Directories, directory{Path: path, Current: repomd{
			Size: 4096 + int64(i), Timestamp: t0.Unix() + int64(i), SHA256: hash(path), Recorded: t0}})
		d.Repositories = append(d.Repositories, repository{
			Prefix: fmt.Sprintf("fedora-%s-%d", map[string]string{"releases": "released", "updates": "updates", "updates/testing": "testing"}[kind], variant),
			Arch:   arch, Directory: path})
	}
	// Spread the rows over mirrors, each carrying a run of directories.
	all := len(d.Mirrors)
	for k := range nFresh {
		m, dir := k%all, (k/all+k%all*7)%nDirs
		d.Freshness = append(d.Freshness, freshness{Mirror: d.Mirrors[m].Name, Directory: d.Directories[dir].Path,
			SHA256: d.Directories[dir].Current.SHA256, Reported: t0.Add(time.Duration(k) * time.Millisecond)})
	}
	return d
}

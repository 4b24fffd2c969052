package mm2

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/metalinkd/metalinkd/store"
)

// hostField maps one per-host field of MirrorManager2 onto a mirror, or
// returns what the store cannot hold of it (one function per field, so
// that a field the store gains is mapped in one place).
type hostField func(m *store.Mirror, h *hostData) []Unmapped

// hostFields are applied to every converted mirror, in order.
var hostFields = []hostField{
	mapCountriesAllowed,
	mapPeerASNs,
	mapASNClients,
	mapMaxConnections,
	mapInternet2,
	mapCrawlHealth,
}

// datasetField maps network-wide rows of MirrorManager2 onto the dataset.
type datasetField func(d *store.Dataset, src *Source) []Unmapped

// datasetFields are applied once per conversion, in order.
var datasetFields = []datasetField{
	mapNetblockCountries,
	mapContinentRedirects,
	mapEmbargoed,
	mapExclusiveHosts,
}

// mapCountriesAllowed: host_country_allowed restricts a host to clients of
// those countries (countries_allowed).
func mapCountriesAllowed(m *store.Mirror, h *hostData) []Unmapped {
	for _, c := range h.countries {
		if !slices.Contains(m.CountriesAllowed, c) {
			m.CountriesAllowed = append(m.CountriesAllowed, c)
		}
	}
	return nil
}

// mapPeerASNs: host_peer_asn lists further ASNs whose clients the host
// serves; a mirror has one ASN.
func mapPeerASNs(_ *store.Mirror, h *hostData) []Unmapped {
	var out []Unmapped
	for _, a := range h.peerASNs {
		out = append(out, Unmapped{Table: "host_peer_asn", Row: h.row,
			Reason: fmt.Sprintf("peer ASN %d: a mirror has one ASN", a)})
	}
	return out
}

// mapASNClients: with asn_clients off MirrorManager does not steer the
// host's ASN to it, so the mirror gets no ASN (nothing is lost); the row
// is still named, since the ASN is known.
func mapASNClients(_ *store.Mirror, h *hostData) []Unmapped {
	if h.ASN == nil || h.ASNClients {
		return nil
	}
	return []Unmapped{{Table: "host", Row: h.row,
		Reason: fmt.Sprintf("ASN %d with asn_clients off: the mirror gets no ASN, as MirrorManager steers none to it", *h.ASN)}}
}

// mapMaxConnections: max_connections is written into MirrorManager's
// metalinks per host; ours write maxconnections="1".
func mapMaxConnections(_ *store.Mirror, h *hostData) []Unmapped {
	if h.MaxConnections == 1 || h.MaxConnections == 0 {
		return nil
	}
	return []Unmapped{{Table: "host", Row: h.row,
		Reason: fmt.Sprintf("max_connections %d: the store keeps no per-mirror connection limit", h.MaxConnections)}}
}

// mapInternet2: MirrorManager's Internet2 step has no counterpart.
func mapInternet2(_ *store.Mirror, h *hostData) []Unmapped {
	if !h.Internet2 && !h.Internet2Clients {
		return nil
	}
	return []Unmapped{{Table: "host", Row: h.row, Reason: "internet2 / internet2_clients: there is no Internet2 step"}}
}

// mapCrawlHealth: MirrorManager's crawler counts a host's consecutive
// failed crawls and, when it disables a host (clearing user_active), says
// why in disable_reason. They become the mirror's health: its last crawl,
// its failures, and for a host that is not active and has a reason, the
// crawler's disabling with that reason (shown to admins and on the status
// page). The health goes into the dataset through hostData.health.
func mapCrawlHealth(m *store.Mirror, h *hostData) []Unmapped {
	reason := ""
	if h.DisableReason != nil {
		reason = strings.TrimSpace(*h.DisableReason)
	}
	if h.LastCrawled == nil && h.CrawlFailures <= 0 && reason == "" {
		return nil
	}
	hl := &store.MirrorHealth{Mirror: m.Name, ConsecutiveFailures: int(max(h.CrawlFailures, 0))}
	if h.LastCrawled != nil {
		hl.LastCrawl = h.LastCrawled.UTC()
	}
	if reason != "" && !m.Enabled {
		hl.Disabled, hl.Reason = true, reason
	}
	h.health = hl
	return nil
}

// mapNetblockCountries: netblock_country overrides GeoIP's country for a
// netblock (the dataset's netblock countries).
func mapNetblockCountries(d *store.Dataset, src *Source) []Unmapped {
	var out []Unmapped
	for _, n := range src.NetblockCountries {
		o := store.NetblockCountry{Netblock: strings.TrimSpace(n.Netblock), Country: strings.ToUpper(strings.TrimSpace(n.Country))}
		if err := store.ValidateOverrides([]store.NetblockCountry{o}, nil); err != nil {
			out = append(out, Unmapped{Table: "netblock_country", Row: "netblock_country " + n.Netblock, Reason: err.Error()})
			continue
		}
		d.NetblockCountries = append(d.NetblockCountries, o)
	}
	return out
}

// mapContinentRedirects: country_continent_redirect moves a country to
// another continent (the dataset's country continents).
func mapContinentRedirects(d *store.Dataset, src *Source) []Unmapped {
	var out []Unmapped
	for _, r := range src.ContinentRedirects {
		o := store.CountryContinent{Country: strings.ToUpper(strings.TrimSpace(r.Country)), Continent: strings.ToUpper(strings.TrimSpace(r.Continent))}
		if err := store.ValidateOverrides(nil, []store.CountryContinent{o}); err != nil {
			out = append(out, Unmapped{Table: "country_continent_redirect", Row: "country_continent_redirect " + r.Country, Reason: err.Error()})
			continue
		}
		d.CountryContinents = append(d.CountryContinents, o)
	}
	return out
}

// mapEmbargoed: MirrorManager answers clients of embargoed countries with
// nothing; the server has no such rule.
func mapEmbargoed(_ *store.Dataset, src *Source) []Unmapped {
	var out []Unmapped
	for _, c := range src.Embargoed {
		out = append(out, Unmapped{Table: "embargoed_country", Row: "embargoed_country " + c,
			Reason: "the server has no embargo rule"})
	}
	return out
}

// mapExclusiveHosts: directory_exclusive_host reserves a directory to
// some hosts; the store has no such reservation.
func mapExclusiveHosts(_ *store.Dataset, src *Source) []Unmapped {
	var out []Unmapped
	for _, e := range src.ExclusiveHosts {
		out = append(out, Unmapped{Table: "directory_exclusive_host",
			Row:    fmt.Sprintf("directory_exclusive_host %s host %d", src.Directories[e.DirectoryID], e.HostID),
			Reason: "the store has no directory reserved to some mirrors"})
	}
	return out
}

// treeFile maps the versions of a file other than a repodata/repomd.xml
// (an image, its CHECKSUM), newest first, onto the tree's file details:
// the newest is the file's details; the older ones, which MirrorManager
// keeps for its crawler, have no place.
func (c *converter) treeFile(dir, row string, fds []FileDetail) []Unmapped {
	fd := fds[0]
	if fd.Size == nil || fd.Timestamp == nil {
		return []Unmapped{{Table: "file_detail", Row: row, Reason: "no size or timestamp"}}
	}
	tf := store.TreeFile{Path: path.Join(dir, fd.Filename), Size: *fd.Size, MTime: *fd.Timestamp}
	if fd.SHA256 != nil {
		tf.SHA256 = strings.ToLower(*fd.SHA256)
	}
	if err := (&store.Dataset{Files: []store.TreeFile{tf}}).Validate(); err != nil {
		return []Unmapped{{Table: "file_detail", Row: row, Reason: err.Error()}}
	}
	c.res.Dataset.Files = append(c.res.Dataset.Files, tf)
	if len(fds) == 1 {
		return nil
	}
	return []Unmapped{{Table: "file_detail", Row: row,
		Reason: fmt.Sprintf("%d older version(s): the store keeps a file's current details only", len(fds)-1)}}
}

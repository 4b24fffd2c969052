package mm2

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// hostData gathers one host's rows across MirrorManager2's tables.
type hostData struct {
	Host
	row       string // "host 43 dnsblock.example.org", for the unmapped listing
	site      Site
	cats      []HostCategory              // of imported categories, by id
	urls      map[int64][]HostCategoryURL // by host category, by id
	up2date   map[int64]map[string]bool   // host category → our path → up2date
	netblocks []HostNetblock
	peerASNs  []int64
	countries []string
	locations []string
	health    *store.MirrorHealth // set by mapCrawlHealth
}

// hosts converts every host into a mirror and its freshness.
func (c *converter) hosts() {
	data := c.gatherHosts()
	names := mirrorNames(c.opt.Prefix, c.src.Hosts)
	locs := c.res.Dataset.LocationNames()
	for i := range c.src.Hosts {
		h := data[c.src.Hosts[i].ID]
		m, carried, ok := c.mirror(h, names[h.ID], locs)
		if !ok {
			continue
		}
		c.res.Dataset.Mirrors = append(c.res.Dataset.Mirrors, m)
		if h.health != nil {
			c.res.Dataset.Health = append(c.res.Dataset.Health, *h.health)
		}
		c.freshness(m.Name, h, carried)
	}
}

// gatherHosts indexes the per-host tables by host.
func (c *converter) gatherHosts() map[int64]*hostData {
	data := make(map[int64]*hostData, len(c.src.Hosts))
	for _, h := range c.src.Hosts {
		d := &hostData{Host: h, row: fmt.Sprintf("host %d %s", h.ID, h.Name),
			urls: map[int64][]HostCategoryURL{}, up2date: map[int64]map[string]bool{}}
		if h.SiteID != nil {
			d.site = c.src.Sites[*h.SiteID]
		}
		data[h.ID] = d
	}
	hcHost := map[int64]*hostData{}
	hcCat := map[int64]*category{}
	for _, hc := range c.src.HostCategories {
		d, cat := data[hc.HostID], c.cats[hc.CategoryID]
		if d == nil || cat == nil {
			continue
		}
		d.cats = append(d.cats, hc)
		hcHost[hc.ID], hcCat[hc.ID] = d, cat
	}
	for _, u := range c.src.URLs {
		if d := hcHost[u.HostCategoryID]; d != nil {
			d.urls[u.HostCategoryID] = append(d.urls[u.HostCategoryID], u)
		}
	}
	for _, r := range c.src.CategoryDirRows {
		d := hcHost[r.HostCategoryID]
		if d == nil {
			continue
		}
		var name string
		switch {
		case r.DirectoryID != nil:
			name = c.src.Directories[*r.DirectoryID]
		case r.Path != nil:
			name = path.Join(hcCat[r.HostCategoryID].Topdir, *r.Path)
		}
		p := relative(c.res.Root, name)
		repodata := path.Base(p) == "repodata"
		if repodata {
			p = path.Dir(p)
		}
		m := d.up2date[r.HostCategoryID]
		if m == nil {
			m = map[string]bool{}
			d.up2date[r.HostCategoryID] = m
		}
		if _, seen := m[p]; !seen || repodata {
			m[p] = r.Up2date
		}
	}
	for _, n := range c.src.Netblocks {
		if d := data[n.HostID]; d != nil {
			d.netblocks = append(d.netblocks, n)
		}
	}
	for _, a := range c.src.PeerASNs {
		if d := data[a.HostID]; d != nil {
			d.peerASNs = append(d.peerASNs, a.ASN)
		}
	}
	for _, a := range c.src.CountriesAllowed {
		if d := data[a.HostID]; d != nil {
			d.countries = append(d.countries, strings.ToUpper(strings.TrimSpace(a.Country)))
		}
	}
	for _, hl := range c.src.HostLocations {
		if d := data[hl.HostID]; d != nil {
			d.locations = append(d.locations, c.src.Locations[hl.LocationID])
		}
	}
	return data
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// mirrorNames names each host's mirror: the prefix and the host's name,
// with characters a mirror name cannot hold replaced by '-'. MirrorManager
// keeps host names unique per site only: of hosts sharing a name, the
// lowest id keeps it and the others add "-<id>".
func mirrorNames(prefix string, hosts []Host) map[int64]string {
	names := map[int64]string{}
	taken := map[string]bool{}
	for _, h := range hosts { // by id
		n := strings.Trim(unsafeName.ReplaceAllString(h.Name, "-"), "-._")
		if n == "" {
			n = "host"
		}
		n = prefix + n
		if len(n) > 100 {
			n = n[:100]
		}
		if taken[n] {
			n += "-" + strconv.FormatInt(h.ID, 10)
		}
		taken[n] = true
		names[h.ID] = n
	}
	return names
}

// mirror converts one host. carried lists the host categories whose
// directories the mirror serves at its base URLs; ok is false when the
// host cannot be a mirror at all (the reason is listed).
func (c *converter) mirror(h *hostData, name string, locs map[string]bool) (m store.Mirror, carried []HostCategory, ok bool) {
	m = store.Mirror{
		Name:    name,
		Country: strings.ToUpper(strings.TrimSpace(h.Country)),
		Enabled: h.AdminActive && h.UserActive && h.site.AdminActive && h.site.UserActive,
		Private: h.Private || h.site.Private,
	}
	m.Bandwidth = 100 // MirrorManager's default for a missing bandwidth_int
	if h.Bandwidth != nil {
		m.Bandwidth = max(int(*h.Bandwidth), 1)
	}
	if h.ASN != nil && h.ASNClients && *h.ASN > 0 {
		m.ASN = uint32(*h.ASN)
	}
	m.URLs, carried = c.baseURLs(h)
	if len(m.URLs) == 0 {
		c.drop("host", h.row, "no URL that can be listed in any imported category")
		return m, nil, false
	}
	for _, n := range h.netblocks {
		p, err := store.ParseNetblock(strings.TrimSpace(n.Netblock))
		if err != nil {
			c.drop("host_netblock", fmt.Sprintf("%s netblock %d", h.row, n.ID), "%v", err)
			continue
		}
		m.Netblocks = append(m.Netblocks, p.String())
	}
	for _, l := range h.locations {
		if locs[l] && !slices.Contains(m.Locations, l) {
			m.Locations = append(m.Locations, l)
		} else if !locs[l] {
			c.drop("host_location", h.row, "location %q was not imported", l)
		}
	}
	for _, f := range hostFields {
		c.res.Unmapped = append(c.res.Unmapped, f(&m, h)...)
	}
	if err := store.ValidateMirror(&m, locs); err != nil {
		c.drop("host", h.row, "%v", err)
		return m, nil, false
	}
	return m, carried, true
}

// baseURLs returns the host's base URLs (our tree's root on the mirror) and
// the host categories they serve. MirrorManager keeps URLs per category,
// each pointing at the category's top directory; ours point at the root,
// so a category's URL must end in the category's tree (…/fedora/linux for
// pub/fedora/linux below the root pub). The first category giving URLs
// decides them; another category whose URLs give other bases cannot be
// listed, and is reported.
func (c *converter) baseURLs(h *hostData) ([]string, []HostCategory) {
	var bases []string
	var carried []HostCategory
	for _, hc := range h.cats {
		cat := c.cats[hc.CategoryID]
		var these []string
		for _, u := range h.urls[hc.ID] {
			row := fmt.Sprintf("%s url %d %s", h.row, u.ID, u.URL)
			if u.Private && !(h.Private || h.site.Private) {
				c.drop("host_category_url", row, "a private URL of a public host: the store has no per-URL private flag, so it is left out")
				continue
			}
			base, ok := strings.CutSuffix(strings.TrimRight(u.URL, "/"), "/"+cat.tree)
			if cat.tree == "" {
				base, ok = strings.TrimRight(u.URL, "/"), true
			}
			if !ok {
				c.drop("host_category_url", row, "does not end in %q, the category %s below the root %q", cat.tree, cat.Name, c.res.Root)
				continue
			}
			if !slices.Contains(these, base) {
				these = append(these, base)
			}
		}
		switch {
		case len(these) == 0:
		case bases == nil:
			bases, carried = these, append(carried, hc)
		case sameSet(bases, these):
			carried = append(carried, hc)
		default:
			c.drop("host_category", fmt.Sprintf("%s category %s", h.row, cat.Name),
				"its URLs give other base URLs (%s) than %s (%s): the mirror is not listed for this category",
				strings.Join(these, " "), c.cats[carried[0].CategoryID].Name, strings.Join(bases, " "))
		}
	}
	return bases, carried
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// freshness records, for each directory of the carried categories holding
// a repomd, that the mirror serves the current repomd when MirrorManager
// says it is up to date there (host_category_dir.up2date, or the host
// category is always_up2date). MirrorManager's crawler marks a directory
// up to date when the mirror has any version still listed, so the current
// one stands for it; the time is the current repomd's, and the source a
// crawl, MirrorManager's.
func (c *converter) freshness(mirror string, h *hostData, carried []HostCategory) {
	for _, hc := range carried {
		up := h.up2date[hc.ID]
		for _, p := range c.catDirs[hc.CategoryID] {
			if !hc.AlwaysUp2date && !up[p] {
				continue
			}
			cur := c.repomd[p].Current
			c.res.Dataset.Freshness = append(c.res.Dataset.Freshness, store.Freshness{
				Mirror: mirror, Directory: p, SHA256: cur.SHA256, Reported: time.Unix(cur.Timestamp, 0).UTC(),
				Source: store.SourceCrawl})
		}
	}
}

package store

import "slices"

// Copy returns a deep copy of d, as Clone does, made directly rather than
// through JSON: at the scale of a large network (hundreds of thousands of
// freshness rows) the round trip costs more than the change it guards.
// Strings are shared, being immutable.
func (d *Dataset) Copy() *Dataset {
	c := &Dataset{
		Mirrors:      slices.Clone(d.Mirrors),
		Locations:    slices.Clone(d.Locations),
		Repositories: slices.Clone(d.Repositories),
		Redirects:    slices.Clone(d.Redirects),
		ScanRules:    slices.Clone(d.ScanRules),
		Directories:  slices.Clone(d.Directories),
		Freshness:    slices.Clone(d.Freshness),
		CloudRanges:  slices.Clone(d.CloudRanges),
		CloudSources: slices.Clone(d.CloudSources),
		Health:       slices.Clone(d.Health),

		TreeDirectories: slices.Clone(d.TreeDirectories),
		Files:           slices.Clone(d.Files),

		NetblockCountries: slices.Clone(d.NetblockCountries),
		CountryContinents: slices.Clone(d.CountryContinents),
	}
	for i := range c.Health {
		c.Health[i].Protocols = slices.Clone(c.Health[i].Protocols)
	}
	for i := range c.Mirrors {
		m := &c.Mirrors[i]
		m.URLs, m.Netblocks, m.Locations = slices.Clone(m.URLs), slices.Clone(m.Netblocks), slices.Clone(m.Locations)
		m.CountriesAllowed = slices.Clone(m.CountriesAllowed)
		m.IPv4, m.IPv6 = cloneBool(m.IPv4), cloneBool(m.IPv6)
	}
	for i := range c.Locations {
		c.Locations[i].CloudRegions = slices.Clone(c.Locations[i].CloudRegions)
	}
	for i := range c.Directories {
		c.Directories[i].Alternates = slices.Clone(c.Directories[i].Alternates)
	}
	return c
}

func cloneBool(p *bool) *bool {
	if p == nil {
		return nil
	}
	b := *p
	return &b
}

package admin

import (
	"github.com/metalinkd/metalinkd/internal/adminapi"
	"github.com/metalinkd/metalinkd/store"
)

// The API answers and reads the types of package adminapi, converted here
// field by field, so that a change of the stored types cannot change the
// wire format.

// views converts a list; an empty list stays a list ([] in JSON).
func views[S, V any](in []S, view func(S) V) []V {
	out := make([]V, len(in))
	for i, x := range in {
		out[i] = view(x)
	}
	return out
}

func wireMirror(m store.Mirror) adminapi.Mirror {
	return adminapi.Mirror{
		Name: m.Name, Country: m.Country, Bandwidth: m.Bandwidth, Enabled: m.Enabled, Private: m.Private,
		AlwaysUpToDate: m.AlwaysUpToDate, URLs: m.URLs, Netblocks: m.Netblocks, ASN: m.ASN,
		Locations: m.Locations, Region: m.Region, Bucket: m.Bucket,
		CountriesAllowed: m.CountriesAllowed, IPv4: m.IPv4, IPv6: m.IPv6,
	}
}

func storedMirror(m adminapi.Mirror) store.Mirror {
	return store.Mirror{
		Name: m.Name, Country: m.Country, Bandwidth: m.Bandwidth, Enabled: m.Enabled, Private: m.Private,
		AlwaysUpToDate: m.AlwaysUpToDate, URLs: m.URLs, Netblocks: m.Netblocks, ASN: m.ASN,
		Locations: m.Locations, Region: m.Region, Bucket: m.Bucket,
		CountriesAllowed: m.CountriesAllowed, IPv4: m.IPv4, IPv6: m.IPv6,
	}
}

func wireOverrides(o store.Overrides) adminapi.Overrides {
	return adminapi.Overrides{
		NetblockCountries: views(o.NetblockCountries, func(x store.NetblockCountry) adminapi.NetblockCountry {
			return adminapi.NetblockCountry{Netblock: x.Netblock, Country: x.Country}
		}),
		CountryContinents: views(o.CountryContinents, func(x store.CountryContinent) adminapi.CountryContinent {
			return adminapi.CountryContinent{Country: x.Country, Continent: x.Continent}
		}),
	}
}

func storedOverrides(o adminapi.Overrides) store.Overrides {
	return store.Overrides{
		NetblockCountries: views(o.NetblockCountries, func(x adminapi.NetblockCountry) store.NetblockCountry {
			return store.NetblockCountry{Netblock: x.Netblock, Country: x.Country}
		}),
		CountryContinents: views(o.CountryContinents, func(x adminapi.CountryContinent) store.CountryContinent {
			return store.CountryContinent{Country: x.Country, Continent: x.Continent}
		}),
	}
}

func wireLocation(l store.Location) adminapi.Location {
	return adminapi.Location{Name: l.Name, Description: l.Description, CloudRegions: l.CloudRegions}
}

func storedLocation(l adminapi.Location) store.Location {
	return store.Location{Name: l.Name, Description: l.Description, CloudRegions: l.CloudRegions}
}

func wireRepository(r store.Repository) adminapi.Repository {
	return adminapi.Repository{Prefix: r.Prefix, Arch: r.Arch, Directory: r.Directory, Disabled: r.Disabled}
}

func storedRepository(r adminapi.Repository) store.Repository {
	return store.Repository{Prefix: r.Prefix, Arch: r.Arch, Directory: r.Directory, Disabled: r.Disabled}
}

func wireRedirect(r store.Redirect) adminapi.Redirect {
	return adminapi.Redirect{From: r.From, To: r.To}
}

func storedRedirect(r adminapi.Redirect) store.Redirect {
	return store.Redirect{From: r.From, To: r.To}
}

func wireFreshness(f store.Freshness) adminapi.Freshness {
	src := adminapi.SourceReport
	if f.FromCrawl() {
		src = adminapi.SourceCrawl
	}
	return adminapi.Freshness{Mirror: f.Mirror, Directory: f.Directory, SHA256: f.SHA256, Reported: f.Reported, Source: src}
}

func wireRepomd(r store.Repomd) adminapi.Repomd {
	return adminapi.Repomd{Size: r.Size, Timestamp: r.Timestamp, MD5: r.MD5, SHA1: r.SHA1, SHA256: r.SHA256,
		SHA512: r.SHA512, Recorded: r.Recorded, Superseded: r.Superseded}
}

func wireDirectory(d store.Directory) adminapi.Directory {
	v := adminapi.Directory{Path: d.Path, Current: wireRepomd(d.Current)}
	if d.Alternates != nil {
		v.Alternates = views(d.Alternates, wireRepomd)
	}
	return v
}

func wireToken(t store.Token) adminapi.Token {
	v := adminapi.Token{ID: t.ID, Name: t.Name, Scopes: nonNil(t.Scopes), Created: t.Created}
	if !t.Revoked.IsZero() {
		rev := t.Revoked
		v.Revoked = &rev
	}
	return v
}

func wireAudit(e store.AuditEntry) adminapi.AuditEntry {
	return adminapi.AuditEntry{ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target, Detail: e.Detail}
}

func wireFieldError(f store.FieldError) adminapi.FieldError {
	return adminapi.FieldError{Field: f.Field, Entry: f.Entry, Msg: f.Msg, Line: f.Line}
}

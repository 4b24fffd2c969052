package metalink

import (
	"net/netip"

	"github.com/metalinkd/metalinkd/store"
)

// overrides indexes the admin's netblock → country and country → continent
// overrides of d.
func (s *Snapshot) overrides(d *store.Dataset) {
	for _, o := range d.NetblockCountries {
		if p, err := store.ParseNetblock(o.Netblock); err == nil {
			s.countryOf.Insert(p, o.Country)
		}
	}
	if len(d.CountryContinents) > 0 {
		s.continentOf = make(map[string]string, len(d.CountryContinents))
		for _, o := range d.CountryContinents {
			s.continentOf[o.Country] = o.Continent
		}
	}
}

// continent returns a country's continent: the admin's override, else
// MirrorManager's table.
func (s *Snapshot) continent(country string) string {
	if c, ok := s.continentOf[country]; ok {
		return c
	}
	return store.Continent(country)
}

// clientCountry returns the country selection treats a client at a as
// being in: that of the longest netblock override holding a, else geo (the
// GeoIP answer), as MirrorManager consults netblock_country first.
func (s *Snapshot) clientCountry(a netip.Addr, geo string) string {
	if !a.IsValid() || s.countryOf.Len() == 0 {
		return geo
	}
	var buf [4]prefixValue[string]
	if m := s.countryOf.Lookup(buf[:0], a); len(m) > 0 {
		return m[0].Value
	}
	return geo
}

// allows reports whether m may be listed for a client of country: a
// mirror with countries_allowed never is for another country, nor for a
// client whose country is unknown (MirrorManager's trim_by_client_country
// keeps a restricted host only when the client's country is in its list).
func (m *mirror) allows(country string) bool {
	if len(m.Allowed) == 0 {
		return true
	}
	for _, c := range m.Allowed {
		if c == country {
			return true
		}
	}
	return false
}

// hostRule is a set of bits saying which of MirrorManager's host rules
// apply to a mirror.
type hostRule uint8

const (
	restricted hostRule = 1 << iota // countries_allowed is set
	noIPv4                          // not reachable over IPv4
	noIPv6                          // not reachable over IPv6
)

func hostRuleOf(m *store.Mirror) hostRule {
	var r hostRule
	if len(m.CountriesAllowed) > 0 {
		r |= restricted
	}
	if !m.ServesIPv4() {
		r |= noIPv4
	}
	if !m.ServesIPv6() {
		r |= noIPv6
	}
	return r
}

// serves reports whether a mirror with rules r is reachable over the
// address family (4 or 6; 0 when unknown, which every mirror serves).
func (r hostRule) serves(family byte) bool {
	switch family {
	case 4:
		return r&noIPv4 == 0
	case 6:
		return r&noIPv6 == 0
	}
	return true
}

// addressFamily returns the family the answer favours: ipv= when given,
// else that of the address selection uses (ip= when honoured, else the
// real one), 0 when unknown or when every mirror of snap serves both
// families (there is then nothing to order).
func addressFamily(snap *Snapshot, q *Query, a netip.Addr) byte {
	switch {
	case !snap.familyLimited:
		return 0
	case q.IPV == "4" || q.IPV == "6":
		return q.IPV[0] - '0'
	case !a.IsValid():
		return 0
	case a.Unmap().Is4():
		return 4
	}
	return 6
}

// byFamily puts the mirrors reachable over the client's address family
// first, in their order, and keeps the others after them only when fewer
// than minimum of the first kind were found: an IPv6-only client is not
// handed IPv4-only mirrors while enough others serve it.
func (s *selector) byFamily(minimum int) {
	s.rest, s.restSteps = s.rest[:0], s.restSteps[:0]
	n := 0
	for i, id := range s.out {
		if s.snap.hostRules[id].serves(s.family) {
			s.out[n], s.steps[n] = id, s.steps[i]
			n++
			continue
		}
		s.rest, s.restSteps = append(s.rest, id), append(s.restSteps, s.steps[i])
	}
	s.out, s.steps = s.out[:n], s.steps[:n]
	if s.found() < minimum {
		s.out, s.steps = append(s.out, s.rest...), append(s.steps, s.restSteps...)
	}
	s.first = StepNone
	if len(s.steps) > 0 {
		s.first = s.steps[0]
	}
}

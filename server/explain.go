package server

import (
	"net/netip"

	"github.com/metalinkd/metalinkd/metalink"
)

// Explain explains the /metalink answer to q for a client at addr (none
// when invalid), from the snapshot the server answers from and with its
// options: the admin API's GET /explain (admin.Options.Explain). The
// address is taken as the client's real one, so a private mirror's
// netblock matches it as it would the client's own request.
func (s *Server) Explain(q *metalink.Query, addr netip.Addr) metalink.Explanation {
	if addr.IsValid() {
		addr = canonical(addr)
	}
	g := s.geo.Lookup(addr)
	c := metalink.Client{Addr: addr, Country: g.Country, ASN: g.ASN}
	return metalink.Explain(s.state.Snapshot(), q, c, metalink.Options{Minimum: s.opts.Minimum, Rand: s.opts.Rand,
		Now: s.opts.Now(), VerifyLocation: s.opts.VerifyLocation, MaxBandwidth: s.opts.MaxBandwidth, MountPrefix: s.opts.MountPrefix})
}

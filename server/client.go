package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr returns the client's real address and the address it claims
// in ip=. The real address is the X-Forwarded-For entry added by the
// nearest untrusted hop when the peer is a trusted proxy, else the peer.
// ip= is honoured only with Options.AllowIPParam or from a trusted proxy;
// otherwise claimed is invalid. ok is false when an honoured ip= does not
// parse. Both addresses are canonical: unmapped, without a zone.
func (s *Server) clientAddr(r *http.Request, ipParam string) (real, claimed netip.Addr, ok bool) {
	peer := peerAddr(r.RemoteAddr)
	real = peer
	if s.trusted(peer) {
		real = forwardedFor(r, peer, s.trusted)
	}
	if ipParam == "" || !(s.opts.AllowIPParam || s.trusted(peer)) {
		return real, netip.Addr{}, true
	}
	a, err := netip.ParseAddr(strings.TrimSpace(ipParam))
	if err != nil {
		return real, netip.Addr{}, false
	}
	return real, canonical(a), true
}

// ClientAddr returns the real address of the client that sent r: the peer,
// or, when the peer is a trusted proxy, the client it forwarded for. The
// admin API keys its failure budget by it.
func (s *Server) ClientAddr(r *http.Request) netip.Addr {
	real, _, _ := s.clientAddr(r, "")
	return real
}

// forwardedFor walks X-Forwarded-For from the right: the first entry that
// is not one of our proxies is the client. An entry that does not parse
// ends the walk at the peer.
func forwardedFor(r *http.Request, peer netip.Addr, trusted func(netip.Addr) bool) netip.Addr {
	xff := r.Header.Values("X-Forwarded-For")
	for i := len(xff) - 1; i >= 0; i-- {
		parts := strings.Split(xff[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return peer
			}
			a = canonical(a)
			if !trusted(a) {
				return a
			}
		}
	}
	return peer
}

// canonical strips what makes two spellings of one address differ: the
// IPv4-mapped form and the IPv6 zone, which no lookup uses and which would
// let a client make unboundedly many distinct keys.
func canonical(a netip.Addr) netip.Addr {
	return a.Unmap().WithZone("")
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return canonical(a)
}

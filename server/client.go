package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr returns the address selection uses: ip= when given (for
// debugging), else the X-Forwarded-For entry added by the nearest untrusted
// hop when the peer is a trusted proxy, else the peer. ok is false when
// ip= does not parse.
func (s *Server) clientAddr(r *http.Request, ipParam string) (netip.Addr, bool) {
	if ipParam != "" {
		a, err := netip.ParseAddr(strings.TrimSpace(ipParam))
		return a.Unmap(), err == nil
	}
	peer := peerAddr(r.RemoteAddr)
	if !s.trusted(peer) {
		return peer, true
	}
	// Walk X-Forwarded-For from the right: the first entry that is not one of
	// our proxies is the client.
	xff := r.Header.Values("X-Forwarded-For")
	for i := len(xff) - 1; i >= 0; i-- {
		parts := strings.Split(xff[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return peer, true
			}
			a = a.Unmap()
			if !s.trusted(a) {
				return a, true
			}
		}
	}
	return peer, true
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
	return a.Unmap()
}

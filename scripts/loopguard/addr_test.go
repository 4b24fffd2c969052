package main

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

// sockaddr builds a struct sockaddr_in or sockaddr_in6 as a process passes
// it to connect.
func sockaddr(ap netip.AddrPort) []byte {
	family, size, at, ip := afInet, 16, 4, ap.Addr().AsSlice()
	if ap.Addr().Is6() {
		family, size, at = afInet6, 28, 8 // after sin6_port, sin6_flowinfo
	}
	b := make([]byte, size)
	binary.NativeEndian.PutUint16(b, uint16(family))
	binary.BigEndian.PutUint16(b[2:], ap.Port())
	copy(b[at:], ip)
	return b
}

func TestOffMachine(t *testing.T) {
	for _, tc := range []struct {
		addr string
		off  bool
	}{
		{"127.0.0.1:5432", false},
		{"127.255.0.9:80", false},
		{"0.0.0.0:80", false},
		{"[::1]:443", false},
		{"[::]:80", false},
		{"[::ffff:127.0.0.1]:80", false},
		{"169.254.169.254:80", true},
		{"10.255.255.53:53", true},
		{"192.0.2.1:9", true},
		{"[fd00:ec2::254]:80", true},
		{"[::ffff:169.254.169.254]:80", true},
		{"[fe80::1]:80", true},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			ap := netip.MustParseAddrPort(tc.addr)
			got, off := offMachine(sockaddr(ap))
			if off != tc.off {
				t.Fatalf("offMachine(%s) = %v, want %v", tc.addr, off, tc.off)
			}
			if want := netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String(); off && got != want {
				t.Errorf("offMachine(%s) names %q, want %q", tc.addr, got, want)
			}
		})
	}
}

// TestOffMachineNotIP covers what is not an IP address, and addresses too
// short to be one, which the kernel refuses on its own.
func TestOffMachineNotIP(t *testing.T) {
	unix := make([]byte, 110)
	binary.NativeEndian.PutUint16(unix, 1) // AF_UNIX
	short6 := sockaddr(netip.MustParseAddrPort("[2001:db8::1]:80"))[:20]
	short4 := sockaddr(netip.MustParseAddrPort("192.0.2.1:80"))[:6]
	for name, raw := range map[string][]byte{
		"AF_UNIX": unix, "AF_UNSPEC": make([]byte, 16), "empty": nil, "one byte": {2},
		"short sockaddr_in6": short6, "short sockaddr_in": short4,
	} {
		if got, off := offMachine(raw); off {
			t.Errorf("%s: offMachine = %q, true; want false", name, got)
		}
	}
}

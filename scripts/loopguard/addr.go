package main

import (
	"encoding/binary"
	"net/netip"
	"strconv"
)

// Address families as the kernel numbers them (the same on every Linux
// architecture).
const (
	afInet  = 2
	afInet6 = 10
)

// offMachine reports whether the socket address raw (a struct sockaddr as
// a process passed it to connect or sendto) names an IP address off this
// machine, and if so that address as host:port. Loopback (127.0.0.0/8,
// ::1, v4-mapped loopback) and the unspecified address (this host) are on
// it; so is anything that is not an IPv4 or IPv6 address (a Unix socket,
// AF_UNSPEC to disconnect a UDP socket), and an address too short to be one,
// which the kernel refuses itself.
func offMachine(raw []byte) (string, bool) {
	if len(raw) < 2 {
		return "", false
	}
	var ip netip.Addr
	switch binary.NativeEndian.Uint16(raw[0:2]) {
	case afInet:
		if len(raw) < 8 {
			return "", false
		}
		ip = netip.AddrFrom4([4]byte(raw[4:8]))
	case afInet6:
		if len(raw) < 24 {
			return "", false
		}
		ip = netip.AddrFrom16([16]byte(raw[8:24])).Unmap()
	default:
		return "", false
	}
	if ip.IsLoopback() || ip.IsUnspecified() {
		return "", false
	}
	port := binary.BigEndian.Uint16(raw[2:4]) // both families hold it there
	return netip.AddrPortFrom(ip, port).String(), true
}

// describe names a refused call for the report: the system call, the
// address, and the program that made it.
func describe(call, addr string, pid uint32, cmdline string) string {
	return call + " " + addr + " by pid " + strconv.FormatUint(uint64(pid), 10) + ": " + cmdline
}

package server

import (
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/metalink"
)

// BenchmarkAccessLine measures formatting one access line alone.
func BenchmarkAccessLine(b *testing.B) {
	e := &accessEntry{at: time.Now(), id: "6f1c2a9e04d7-42", method: "GET", path: "/metalink",
		query: "repo=fedora-41&arch=x86_64&location=us-east-1&countme=1", client: netip.MustParseAddr("192.0.2.1"),
		peer: "192.0.2.1:40000", userAgent: "libdnf (Fedora Linux 41; cloud; Linux.x86_64)",
		firstStep: metalink.StepLocation, location: "us-east-1", status: 200, bytes: 18089, duration: 412345}
	for _, text := range []bool{false, true} {
		name := "format=json"
		if text {
			name = "format=text"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				writeAccessLine(io.Discard, e, text)
			}
		})
	}
}

package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/logging"
	"github.com/metalinkd/metalinkd/metalink"
)

// BenchmarkMetalinkAccessLog is BenchmarkMetalink with the access log on,
// written to io.Discard: the cost of building each line.
func BenchmarkMetalinkAccessLog(b *testing.B) {
	for _, f := range []logging.Format{logging.JSON, logging.Text} {
		b.Run("format="+string(f), func(b *testing.B) {
			geo := fakeGeo{netip.MustParseAddr("192.0.2.1"): {Country: "DE"}}
			h := New(NewStaticReloader(metalink.NewSnapshot(benchDataset(50), time.Now())), geo,
				slog.New(slog.DiscardHandler), Options{AccessLog: io.Discard, AccessLogFormat: f}).Handler()
			req := httptest.NewRequest(http.MethodGet, "/metalink?repo=fedora-41&arch=x86_64&location=us-east-1&countme=1", nil)
			req.RemoteAddr = "192.0.2.1:40000"
			req.Header.Set("User-Agent", "libdnf (Fedora Linux 41; generic; Linux.x86_64)")
			b.ReportAllocs()
			dw := &discardWriter{h: http.Header{}}
			for b.Loop() {
				clear(dw.h)
				h.ServeHTTP(dw, req)
			}
		})
	}
}

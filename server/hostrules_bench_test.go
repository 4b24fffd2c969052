package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/metalink"
	"github.com/metalinkd/metalinkd/store"
)

// hostRulesHandler serves benchDataset(n) with MirrorManager's host rules
// in use: every third mirror reachable over IPv4 only, every tenth
// restricted to its own country, a netblock override and a continent
// override. The benchmark client is an IPv6 address in Germany.
func hostRulesHandler(n int) (http.Handler, string) {
	d := benchDataset(n)
	for i := range d.Mirrors {
		m := &d.Mirrors[i]
		if i%3 == 0 {
			m.IPv6 = store.Bool(false)
		}
		if i%10 == 0 {
			m.CountriesAllowed = []string{m.Country}
		}
	}
	d.NetblockCountries = []store.NetblockCountry{{Netblock: "2001:db8:1::/48", Country: "NL"}}
	d.CountryContinents = []store.CountryContinent{{Country: "IL", Continent: "EU"}}
	const client = "2001:db8::1"
	geo := fakeGeo{netip.MustParseAddr(client): {Country: "DE"}}
	s := New(NewStaticReloader(metalink.NewSnapshot(d, time.Now())), geo, slog.New(slog.DiscardHandler), Options{})
	return s.Handler(), "[" + client + "]:40000"
}

// TestHostRulesAllocations: answering an IPv6 client with the host rules
// in use allocates no more than the plain answer (TestAnswerAllocations).
func TestHostRulesAllocations(t *testing.T) {
	const limit = 6
	for _, target := range []string{
		"/metalink?repo=fedora-41&arch=x86_64&countme=1",
		"/mirrorlist?repo=fedora-41&arch=x86_64",
		"/mirrorlist?repo=fedora-41&arch=x86_64&ipv=4",
	} {
		h, peer := hostRulesHandler(300)
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.RemoteAddr = peer
		dw := &discardWriter{h: http.Header{}}
		got := testing.AllocsPerRun(200, func() {
			clear(dw.h)
			h.ServeHTTP(dw, req)
		})
		if got > limit {
			t.Errorf("%s: %.1f allocations per request, want at most %d", target, got, limit)
		}
	}
}

// BenchmarkHostRules measures the answer when the host rules are in use,
// to compare with BenchmarkMetalink and BenchmarkMirrorlist.
func BenchmarkHostRules(b *testing.B) {
	for _, n := range []int{50, 300} {
		for _, path := range []string{"/metalink", "/mirrorlist"} {
			b.Run(fmt.Sprintf("%s/mirrors=%d", path[1:], n), func(b *testing.B) {
				h, peer := hostRulesHandler(n)
				req := httptest.NewRequest(http.MethodGet, path+"?repo=fedora-41&arch=x86_64", nil)
				req.RemoteAddr = peer
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
				b.ReportAllocs()
				dw := &discardWriter{h: http.Header{}}
				for b.Loop() {
					clear(dw.h)
					h.ServeHTTP(dw, req)
				}
			})
		}
	}
}

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

var benchCountries = []string{"US", "DE", "FR", "GB", "NL", "SE", "CZ", "JP", "AU", "BR", "CA", "IN"}

// benchDataset is a network of n public mirrors (two URLs each) across
// twelve countries, plus a regional bucket for us-east-1, all carrying one
// scanned repository.
func benchDataset(n int) *store.Dataset {
	const dir = "releases/41/Everything/x86_64/os"
	d := &store.Dataset{
		Locations:    []store.Location{{Name: "us-east-1"}},
		Repositories: []store.Repository{{Prefix: "fedora-41", Arch: "x86_64", Directory: dir}},
		Directories: []store.Directory{{Path: dir, Current: store.Repomd{Size: 3069, Timestamp: 1795604653,
			MD5: fmt.Sprintf("%032x", 1), SHA1: fmt.Sprintf("%040x", 2), SHA256: fmt.Sprintf("%064x", 3), SHA512: fmt.Sprintf("%0128x", 4)}}},
	}
	for i := range n {
		host := fmt.Sprintf("mirror%03d.example.net", i)
		d.Mirrors = append(d.Mirrors, store.Mirror{
			Name: host, Country: benchCountries[i%len(benchCountries)], Bandwidth: 100 + i*37%5000,
			Enabled: true, AlwaysUpToDate: true,
			URLs: []string{"https://" + host + "/pub/fedora/linux", "http://" + host + "/pub/fedora/linux"},
		})
	}
	d.Mirrors = append(d.Mirrors, store.Mirror{Name: "s3-us-east-1", Country: "US", Bandwidth: 100000, Enabled: true,
		AlwaysUpToDate: true, Region: "us-east-1", Locations: []string{"us-east-1"},
		URLs: []string{"https://bucket.s3.us-east-1.amazonaws.com/pub/fedora/linux"}})
	return d
}

// BenchHandler returns the full HTTP handler over n mirrors, with the
// access log off and a GeoIP answer for the benchmark client.
func BenchHandler(n int) http.Handler { return benchHandlerWith(n, Options{}) }

// benchHandlerWith is BenchHandler with options, such as statistics on
// (their labels learnt from the dataset, as a reload teaches them).
func benchHandlerWith(n int, opts Options) http.Handler {
	geo := fakeGeo{netip.MustParseAddr("192.0.2.1"): {Country: "DE"}}
	d := benchDataset(n)
	opts.Stats.loaded(d)
	s := New(NewStaticReloader(metalink.NewSnapshot(d, time.Now())), geo,
		slog.New(slog.DiscardHandler), opts)
	return s.Handler()
}

func benchmarkHandler(b *testing.B, n int, target string) {
	benchmarkHandlerFrom(b, n, target, "192.0.2.1:40000")
}

// benchmarkHandlerFrom is benchmarkHandler for a client at remote.
func benchmarkHandlerFrom(b *testing.B, n int, target, remote string) {
	benchmarkHandlerWith(b, n, target, remote, Options{})
}

// benchmarkHandlerWith is benchmarkHandlerFrom with options.
func benchmarkHandlerWith(b *testing.B, n int, target, remote string, opts Options) {
	h := benchHandlerWith(n, opts)
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.RemoteAddr = remote
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
	b.SetBytes(int64(w.Body.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	dw := &discardWriter{h: http.Header{}}
	for b.Loop() {
		clear(dw.h)
		h.ServeHTTP(dw, req)
	}
}

// discardWriter is a ResponseWriter that drops the body, as a network
// connection's buffered writer costs next to nothing per byte here.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

func BenchmarkMetalink(b *testing.B) {
	for _, n := range []int{50, 300, 1000} {
		b.Run(fmt.Sprintf("mirrors=%d", n), func(b *testing.B) {
			benchmarkHandler(b, n, "/metalink?repo=fedora-41&arch=x86_64&location=us-east-1&countme=1")
		})
	}
}

// BenchmarkMetalinkGlobal is the answer scripts/bench-load.sh measures: a
// client of no known country, to whom the global step lists every mirror.
func BenchmarkMetalinkGlobal(b *testing.B) {
	for _, n := range []int{50, 300, 1000} {
		b.Run(fmt.Sprintf("mirrors=%d", n), func(b *testing.B) {
			benchmarkHandlerFrom(b, n, "/metalink?repo=fedora-41&arch=x86_64", "192.0.2.9:40000")
		})
	}
}

// BenchmarkMetalinkReused is BenchmarkMetalinkGlobal with answers reused
// as metalinkd serve reuses them by default: one drawn answer in sixteen.
func BenchmarkMetalinkReused(b *testing.B) {
	for _, n := range []int{50, 300, 1000} {
		b.Run(fmt.Sprintf("mirrors=%d", n), func(b *testing.B) {
			benchmarkHandlerWith(b, n, "/metalink?repo=fedora-41&arch=x86_64", "192.0.2.9:40000", Options{AnswerReuse: 16})
		})
	}
}

func BenchmarkMirrorlist(b *testing.B) {
	for _, n := range []int{50, 300} {
		b.Run(fmt.Sprintf("mirrors=%d", n), func(b *testing.B) {
			benchmarkHandler(b, n, "/mirrorlist?repo=fedora-41&arch=x86_64")
		})
	}
}

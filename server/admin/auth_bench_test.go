package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// benchDataset is a mirror network of a few MB: 2,000 mirrors with a
// two URLs and 56 netblocks each (about 3 MB as JSON).
func benchDataset() *store.Dataset {
	d := &store.Dataset{}
	for i := range 2000 {
		m := store.Mirror{Name: fmt.Sprintf("mirror-%04d", i), Country: "DE", Bandwidth: 100, Enabled: true,
			URLs: []string{fmt.Sprintf("https://mirror-%04d.example.org/pub/fedora/linux", i),
				fmt.Sprintf("rsync://mirror-%04d.example.org/fedora/linux", i)}}
		for j := range 56 {
			m.Netblocks = append(m.Netblocks, fmt.Sprintf("10.%d.%d.0/24", i%250, j*4))
		}
		d.Mirrors = append(d.Mirrors, m)
	}
	return d
}

// BenchmarkBogusToken measures refusing a request whose bearer token is
// unknown, on the embedded store holding benchDataset. Each request comes
// from its own address, so that no failure budget runs out.
func BenchmarkBogusToken(b *testing.B) {
	st, err := sqlite.Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Restore(context.Background(), benchDataset()); err != nil {
		b.Fatal(err)
	}
	h := New(Options{Store: st, Context: b.Context()})
	req := httptest.NewRequest(http.MethodGet, "/mirrors", nil)
	req.Header.Set("Authorization", "Bearer "+NewSecret())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		req.RemoteAddr = fmt.Sprintf("198.51.%d.%d:40000", i>>8&0xff, i&0xff)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusUnauthorized {
			b.Fatalf("status %d, want 401", w.Code)
		}
	}
	if fi, err := os.Stat(filepath.Join(st.Dir(), "metalinkd.json")); err == nil {
		b.ReportMetric(float64(fi.Size())/1e6, "store-MB")
	}
}

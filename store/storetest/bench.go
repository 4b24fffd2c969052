package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// BenchRecordCrawl measures RecordCrawl of one mirror carrying dirs
// directories on s, a new, empty store: each iteration records a crawl
// that changes nothing (the common case of a crawl of a settled network),
// after one that made the mirror fresh everywhere.
func BenchRecordCrawl(b *testing.B, s store.Store, dirs int) {
	d := &store.Dataset{Mirrors: []store.Mirror{mirror("bench.example.org")}}
	obs := make([]store.Observation, dirs)
	for i := range dirs {
		path := fmt.Sprintf("pub/fedora/linux/releases/%d/Everything/x86_64/os", i)
		r := repomd(path, at(0))
		d.Directories = append(d.Directories, store.Directory{Path: path, Current: r})
		obs[i] = store.Observation{Directory: path, Status: store.SeenOK, SHA256: r.SHA256}
	}
	if err := s.Restore(b.Context(), d); err != nil {
		b.Fatal(err)
	}
	r := store.CrawlResult{Mirror: "bench.example.org", Started: at(time.Hour), Finished: at(time.Hour + time.Minute),
		Checks: []store.ProtocolCheck{{Protocol: "https", OK: true}}, Observations: obs}
	p := store.CrawlPolicy{DisableAfter: store.DefaultDisableAfter}
	out, err := s.RecordCrawl(b.Context(), r, p)
	if err != nil || out.Written != dirs {
		b.Fatalf("first crawl: %+v, %v", out, err)
	}
	b.ResetTimer()
	for i := range b.N {
		r.Started = at(time.Duration(i+2) * time.Hour)
		r.Finished = r.Started.Add(time.Minute)
		if out, err := s.RecordCrawl(b.Context(), r, p); err != nil || out.Written != 0 {
			b.Fatalf("crawl %d: %+v, %v", i, out, err)
		}
	}
}

// benchFreshness restores on s, a new, empty store, mirrors × dirs
// freshness rows.
func benchFreshness(b *testing.B, s store.Store, mirrors, dirs int) {
	if err := s.Restore(b.Context(), FreshnessDataset(mirrors, dirs)); err != nil {
		b.Fatal(err)
	}
}

// FreshnessDataset returns a valid dataset of mirrors mirrors and dirs
// directories in which every mirror is fresh in every directory.
func FreshnessDataset(mirrors, dirs int) *store.Dataset {
	d := &store.Dataset{}
	for i := range mirrors {
		d.Mirrors = append(d.Mirrors, mirror(fmt.Sprintf("mirror%04d.example.org", i)))
	}
	for i := range dirs {
		path := fmt.Sprintf("pub/fedora/linux/updates/%d/Everything/x86_64/os", i)
		d.Directories = append(d.Directories, store.Directory{Path: path, Current: repomd(path, at(0))})
	}
	for _, m := range d.Mirrors {
		for _, dir := range d.Directories {
			d.Freshness = append(d.Freshness, store.Freshness{Mirror: m.Name, Directory: dir.Path,
				SHA256: dir.Current.SHA256, Reported: at(time.Minute)})
		}
	}
	return d
}

// BenchExport measures Export of the freshness of mirrors × dirs rows on
// s, a new, empty store, the rows counted and dropped as a reload does
// with them once their bits are set.
func BenchExport(b *testing.B, s store.Store, mirrors, dirs int) {
	benchFreshness(b, s, mirrors, dirs)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		n := 0
		err := s.Export(b.Context(), func(_ *store.Dataset, rows store.FreshnessRows) error {
			return rows(func(store.Freshness) error {
				n++
				return nil
			})
		})
		if err != nil || n != mirrors*dirs {
			b.Fatalf("Export: %d rows, %v", n, err)
		}
	}
}

// BenchLoad measures Load of the same data as BenchExport's, whole.
func BenchLoad(b *testing.B, s store.Store, mirrors, dirs int) {
	benchFreshness(b, s, mirrors, dirs)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if got, err := s.Load(b.Context()); err != nil || len(got.Freshness) != mirrors*dirs {
			b.Fatalf("Load: %v", err)
		}
	}
}

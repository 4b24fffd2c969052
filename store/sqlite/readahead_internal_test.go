package sqlite

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/storetest"
)

// readAheadStore holds more freshness rows than the read-ahead's batches
// do together, so that every batch is reused.
func readAheadStore(t *testing.T) (*Store, int) {
	t.Helper()
	s, err := Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	d := storetest.FreshnessDataset(60, 300) // 18,000 rows: four and a bit batches
	if err := s.Restore(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	return s, len(d.Freshness)
}

// Export's rows, read ahead in batches, are Load's rows in Load's order.
func TestExportReadsAheadInOrder(t *testing.T) {
	s, n := readAheadStore(t)
	if n <= 3*readAheadBatch {
		t.Fatalf("%d rows do not fill the three batches", n)
	}
	want, err := s.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []store.Freshness
	err = s.Export(t.Context(), func(_ *store.Dataset, rows store.FreshnessRows) error {
		return rows(func(f store.Freshness) error {
			got = append(got, f)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want.Freshness) {
		t.Fatalf("Export yielded %d rows, Load has %d", len(got), len(want.Freshness))
	}
	for i := range got {
		if !got[i].Reported.Equal(want.Freshness[i].Reported) || got[i].Mirror != want.Freshness[i].Mirror ||
			got[i].Directory != want.Freshness[i].Directory || got[i].SHA256 != want.Freshness[i].SHA256 {
			t.Fatalf("row %d: Export %+v, Load %+v", i, got[i], want.Freshness[i])
		}
	}
}

// A yield that fails in any batch ends the export with its error, and the
// store is usable afterwards (the reading goroutine let go of its
// transaction).
func TestExportReadAheadStops(t *testing.T) {
	s, n := readAheadStore(t)
	stop := errors.New("enough")
	for _, after := range []int{0, 1, readAheadBatch - 1, readAheadBatch, 2*readAheadBatch + 7, n - 1} {
		seen := 0
		err := s.Export(t.Context(), func(_ *store.Dataset, rows store.FreshnessRows) error {
			return rows(func(store.Freshness) error {
				if seen == after {
					return stop
				}
				seen++
				return nil
			})
		})
		if !errors.Is(err, stop) || seen != after {
			t.Errorf("stop after %d rows: err = %v after %d rows, want %v", after, err, seen, stop)
		}
	}
	if _, err := s.Load(t.Context()); err != nil {
		t.Errorf("Load after stopped exports: %v", err)
	}
}

func TestParseInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1764460800000000", 1764460800000000, true},
		{fmt.Sprint(zeroMicros), zeroMicros, true}, {"-1", -1, true},
		{"253402300799999999", 253402300799999999, true}, // 9999-12-31, in µs
		{"", 0, false}, {"-", 0, false}, {"12a", 0, false}, {"1.5", 0, false}, {" 1", 0, false},
		{"1234567890123456789", 0, false}, // more digits than a time has
	} {
		got, ok := parseInt([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseInt(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// Times survive the one-text row: the zero time, one before 1970, and a
// crawl's source.
func TestFreshnessRowText(t *testing.T) {
	s, err := Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sha := strings.Repeat("ef", 32)
	d := &store.Dataset{
		Mirrors: []store.Mirror{{Name: "m.example.org", Country: "DE", Bandwidth: 100, Enabled: true, URLs: []string{"https://m.example.org/pub"}}},
	}
	times := []time.Time{{}, time.Date(1969, 7, 20, 20, 17, 40, 123456000, time.UTC), time.Date(2026, 11, 30, 12, 0, 0, 1000, time.UTC)}
	for i, at := range times {
		path := fmt.Sprintf("releases/%d/os", i)
		d.Directories = append(d.Directories, store.Directory{Path: path, Current: store.Repomd{Size: 1, Timestamp: 1, SHA256: sha, Recorded: times[2]}})
		d.Freshness = append(d.Freshness, store.Freshness{Mirror: "m.example.org", Directory: path, SHA256: sha, Reported: at, Source: []string{"", store.SourceCrawl, store.SourceReport}[i]})
	}
	if err := s.Restore(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Freshness) != len(times) {
		t.Fatalf("loaded %d rows, want %d", len(got.Freshness), len(times))
	}
	for i, f := range got.Freshness {
		if !f.Reported.Equal(times[i]) || f.Reported.IsZero() != times[i].IsZero() {
			t.Errorf("row %d reported %v, want %v", i, f.Reported, times[i])
		}
		if want := []string{"", store.SourceCrawl, ""}[i]; f.Source != want {
			t.Errorf("row %d source %q, want %q", i, f.Source, want)
		}
	}
}

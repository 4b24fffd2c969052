package storetest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

// Export hands out what Load does, the freshness one row at a time in
// Load's order.
func testExport(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	want := load(t, s)
	var got *store.Dataset
	err := s.Export(ctx(t), func(d *store.Dataset, rows store.FreshnessRows) error {
		if len(d.Freshness) != 0 {
			t.Errorf("Export's dataset holds %d freshness rows, want none", len(d.Freshness))
		}
		got = d
		return rows(func(f store.Freshness) error {
			got.Freshness = append(got.Freshness, f)
			return nil
		})
	})
	must(t, "Export", err)
	if diff := cmp.Diff(want, got, datasetOpts); diff != "" {
		t.Errorf("Export (-Load +Export):\n%s", diff)
	}
}

// An error from the row callback stops the rows and comes back out of
// Export as it was given.
func testExportStops(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	if len(fullDataset().Freshness) < 2 {
		t.Fatal("the fixture needs two freshness rows")
	}
	refused := errors.New("refused")
	seen := 0
	err := s.Export(ctx(t), func(_ *store.Dataset, rows store.FreshnessRows) error {
		return rows(func(store.Freshness) error {
			seen++
			return refused
		})
	})
	if !errors.Is(err, refused) || seen != 1 {
		t.Errorf("Export = %v after %d rows, want the callback's error after 1", err, seen)
	}
}

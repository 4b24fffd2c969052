package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// cloudStore is what stores offer beside store.Store to load a provider's
// published ranges.
type cloudStore interface {
	ReplaceCloudRanges(ctx context.Context, src store.CloudSource, ranges []store.CloudRange) error
}

func cloud(t *testing.T, s store.Store) cloudStore {
	t.Helper()
	c, ok := s.(cloudStore)
	if !ok {
		t.Skipf("%T has no ReplaceCloudRanges", s)
	}
	return c
}

// A provider's new list replaces its ranges and source, and no other's.
func testCloudRanges(t *testing.T, s store.Store) {
	c := cloud(t, s)
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	want := fullDataset()

	src := store.CloudSource{Provider: "aws", SyncToken: "1762000000", Imported: at(time.Hour)}
	ranges := []store.CloudRange{
		{Prefix: "3.80.0.0/12", Provider: "aws", Region: "us-east-1"},
		{Prefix: "13.48.0.0/15", Provider: "aws", Region: "eu-north-1"},
	}
	must(t, "ReplaceCloudRanges", c.ReplaceCloudRanges(ctx(t), src, ranges))
	want.CloudRanges = append(ranges, want.CloudRanges[3])
	want.CloudSources[0] = src
	checkData(t, s, want)

	// An empty list clears the provider's ranges but records its version.
	src = store.CloudSource{Provider: "gcp", SyncToken: "2026-03-01", Imported: at(2 * time.Hour)}
	must(t, "ReplaceCloudRanges", c.ReplaceCloudRanges(ctx(t), src, nil))
	want.CloudRanges = want.CloudRanges[:2]
	want.CloudSources[1] = src
	checkData(t, s, want)
}

func testCloudRangesInvalid(t *testing.T, s store.Store) {
	c := cloud(t, s)
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	src := store.CloudSource{Provider: "aws", SyncToken: "1762000000", Imported: at(time.Hour)}
	for name, r := range map[string]store.CloudRange{
		"not a netblock": {Prefix: "3.80.0.0/40", Provider: "aws", Region: "us-east-1"},
		"host bits set":  {Prefix: "3.80.0.1/12", Provider: "aws", Region: "us-east-1"},
		"bad region":     {Prefix: "3.80.0.0/12", Provider: "aws", Region: "US-EAST-1"},
	} {
		t.Run(name, func(t *testing.T) {
			ranges := []store.CloudRange{{Prefix: "13.48.0.0/15", Provider: "aws", Region: "eu-north-1"}, r}
			rejected(t, s, store.ErrInvalid, func() error { return c.ReplaceCloudRanges(ctx(t), src, ranges) })
		})
	}
}

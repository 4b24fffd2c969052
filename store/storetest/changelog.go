package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

// changesSince reads what changed after seq, failing the test on error.
func changesSince(t *testing.T, s store.Store, seq int64) *store.ChangeSet {
	t.Helper()
	cs, err := s.ChangesSince(ctx(t), seq)
	if err != nil {
		t.Fatalf("ChangesSince(%d): %v", seq, err)
	}
	if cs.Since != seq || (!cs.Full && cs.Through < seq) {
		t.Fatalf("ChangesSince(%d) = since %d through %d", seq, cs.Since, cs.Through)
	}
	return cs
}

// changeSeq returns the newest change's number, failing the test on error.
func changeSeq(t *testing.T, s store.Store) int64 {
	t.Helper()
	n, err := s.ChangeSeq(ctx(t))
	if err != nil {
		t.Fatalf("ChangeSeq: %v", err)
	}
	return n
}

// Freshness changes are logged as pairs with their current sha256; a
// change set read from its own end is empty.
func testChangeLogFreshness(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), crawlDataset()))
	seq := changeSeq(t, s)
	if cs := changesSince(t, s, seq); !cs.Empty() || cs.Through != seq {
		t.Errorf("ChangesSince(ChangeSeq) = %+v, want empty through %d", cs, seq)
	}
	const m = "pub1.example.org"
	must(t, "Report", s.Report(ctx(t), store.Freshness{Mirror: m, Directory: dirOS, SHA256: sha("os 2"), Reported: at(time.Hour)}))
	must(t, "Report", s.Report(ctx(t), store.Freshness{Mirror: m, Directory: dirUpdates, SHA256: sha("up 1"), Reported: at(time.Hour)}))
	cs := changesSince(t, s, seq)
	want := []store.FreshnessChange{
		{Mirror: m, Directory: dirOS, SHA256: sha("os 2")},
		{Mirror: m, Directory: dirUpdates, SHA256: sha("up 1")},
	}
	if cs.Full || len(cs.Mirrors) != 0 || cs.Through <= seq {
		t.Errorf("after two reports: %+v, want freshness changes only, through more than %d", cs, seq)
	}
	if diff := cmp.Diff(want, cs.Freshness); diff != "" {
		t.Errorf("freshness changes (-want +got):\n%s", diff)
	}

	// A report of what was already recorded changes nothing answers see.
	seq = cs.Through
	must(t, "Report", s.Report(ctx(t), store.Freshness{Mirror: m, Directory: dirOS, SHA256: sha("os 2"), Reported: at(2 * time.Hour)}))
	if cs := changesSince(t, s, seq); !cs.Empty() {
		t.Errorf("after the same report again: %+v, want nothing", cs)
	}

	// Forgetting is a change to no record.
	seq = changeSeq(t, s)
	if _, err := s.Forget(ctx(t), m, "pub/fedora/linux/updates"); err != nil {
		t.Fatalf("Forget: %v", err)
	}
	cs = changesSince(t, s, seq)
	if diff := cmp.Diff([]store.FreshnessChange{{Mirror: m, Directory: dirUpdates}}, cs.Freshness); diff != "" || cs.Full {
		t.Errorf("after Forget (-want +got):\n%s (full %v)", diff, cs.Full)
	}
}

// Mirror changes carry the mirror's current row, crawler verdict and
// freshness; a deleted mirror has none.
func testChangeLogMirrors(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), crawlDataset()))
	const m = "pub1.example.org"
	must(t, "Report", s.Report(ctx(t), store.Freshness{Mirror: m, Directory: dirOS, SHA256: sha("os 2"), Reported: at(time.Hour)}))
	seq := changeSeq(t, s)
	if _, err := s.UpdateMirror(ctx(t), m, func(mm *store.Mirror) error {
		mm.Country, mm.Netblocks = "DE", []string{"192.0.2.0/24"}
		return nil
	}); err != nil {
		t.Fatalf("UpdateMirror: %v", err)
	}
	cs := changesSince(t, s, seq)
	if cs.Full || len(cs.Mirrors) != 1 || len(cs.Freshness) != 0 {
		t.Fatalf("after UpdateMirror: %+v, want one mirror change", cs)
	}
	c := cs.Mirrors[0]
	if c.Name != m || c.Mirror == nil || c.Mirror.Country != "DE" || len(c.Mirror.Netblocks) != 1 || c.CrawlerDisabled ||
		len(c.Freshness) != 1 || c.Freshness[0].SHA256 != sha("os 2") {
		t.Errorf("mirror change = %+v, want %s in DE with its netblock and its one freshness record", c, m)
	}

	// A freshness change of a changed mirror is part of the mirror's.
	seq = cs.Through
	must(t, "Report", s.Report(ctx(t), store.Freshness{Mirror: m, Directory: dirUpdates, SHA256: sha("up 1"), Reported: at(time.Hour)}))
	must(t, "UpdateMirror", updateBandwidth(t, s, m, 7))
	cs = changesSince(t, s, seq)
	if len(cs.Freshness) != 0 || len(cs.Mirrors) != 1 || len(cs.Mirrors[0].Freshness) != 2 || cs.Mirrors[0].Mirror.Bandwidth != 7 {
		t.Errorf("after a report and an edit: %+v, want one mirror change with two freshness records", cs)
	}

	// The crawler's verdict is a mirror change; its bookkeeping is not.
	seq = cs.Through
	p := store.CrawlPolicy{DisableAfter: 2}
	recordCrawl(t, s, failedCrawlAt(m, time.Hour), p)
	if cs := changesSince(t, s, seq); !cs.Empty() {
		t.Errorf("after a first failed crawl: %+v, want nothing", cs)
	}
	recordCrawl(t, s, failedCrawlAt(m, 2*time.Hour), p)
	cs = changesSince(t, s, seq)
	if len(cs.Mirrors) != 1 || !cs.Mirrors[0].CrawlerDisabled {
		t.Errorf("after the crawler disabled %s: %+v, want it disabled", m, cs)
	}

	seq = cs.Through
	must(t, "CreateMirror", s.CreateMirror(ctx(t), mirror("new.example.org")))
	must(t, "DeleteMirror", s.DeleteMirror(ctx(t), "pub2.example.org"))
	cs = changesSince(t, s, seq)
	if cs.Full || len(cs.Mirrors) != 2 || cs.Mirrors[0].Name != "new.example.org" || cs.Mirrors[0].Mirror == nil ||
		cs.Mirrors[1].Name != "pub2.example.org" || cs.Mirrors[1].Mirror != nil {
		t.Errorf("after a create and a delete: %+v", cs)
	}
}

func updateBandwidth(t *testing.T, s store.Store, m string, bw int) error {
	t.Helper()
	_, err := s.UpdateMirror(ctx(t), m, func(mm *store.Mirror) error { mm.Bandwidth = bw; return nil })
	return err
}

// Changes patches cannot follow ask for a full reload, and so does a
// number from another log's future.
func testChangeLogFull(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), crawlDataset()))
	for _, tt := range []struct {
		name   string
		change func() error
	}{
		{"CreateLocation", func() error { return s.CreateLocation(ctx(t), store.Location{Name: "eu-west-1"}) }},
		{"CreateRepository", func() error {
			return s.CreateRepository(ctx(t), store.Repository{Prefix: "fedora-43", Arch: "x86_64", Directory: dirOS})
		}},
		{"RecordScan", func() error {
			_, err := s.RecordScan(ctx(t), []store.ScannedRepomd{scanned(dirOS, "os 3", at(time.Hour))}, at(time.Hour), store.DefaultAlternateMaxAge)
			return err
		}},
		{"Import", func() error { return s.Import(ctx(t), declarative(crawlDataset())) }},
		{"Restore", func() error { return s.Restore(ctx(t), crawlDataset()) }},
	} {
		seq := changeSeq(t, s)
		must(t, tt.name, tt.change())
		if cs := changesSince(t, s, seq); !cs.Full {
			t.Errorf("after %s: %+v, want a full reload", tt.name, cs)
		}
	}
	seq := changeSeq(t, s)
	if cs := changesSince(t, s, seq+1000); !cs.Full {
		t.Errorf("ChangesSince(a number not handed out yet) = %+v, want a full reload", cs)
	}
}

// A write of the whole dataset logs one entry for everything, however
// many rows it writes: not one per mirror, URL or netblock.
func testChangeLogBulk(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), crawlDataset()))
	for _, tt := range []struct {
		name   string
		change func() error
	}{
		{"Restore", func() error { return s.Restore(ctx(t), crawlDataset()) }},
		{"Import", func() error {
			d := declarative(crawlDataset())
			for i := range d.Mirrors {
				d.Mirrors[i].Bandwidth++
				d.Mirrors[i].Netblocks = append(d.Mirrors[i].Netblocks, fmt.Sprintf("198.51.100.%d/32", i))
			}
			return s.Import(ctx(t), d)
		}},
	} {
		seq := changeSeq(t, s)
		must(t, tt.name, tt.change())
		if got := changeSeq(t, s); got != seq+1 {
			t.Errorf("after %s: the change log went from %d to %d, want one entry", tt.name, seq, got)
		}
		if cs := changesSince(t, s, seq); !cs.Full {
			t.Errorf("after %s: %+v, want a full reload", tt.name, cs)
		}
	}
}

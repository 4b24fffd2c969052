package server

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/metalink"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

var patchCountries = []string{"DE", "FR", "US", "JP", "BR", "ZA"}

func patchSHA(dir, v int) string { return fmt.Sprintf("%062x%02x", dir, v) }

func patchDir(i int) string { return fmt.Sprintf("pub/d%d/os", i) }

// patchNetwork is a small network with a current and an alternate repomd
// in each directory.
func patchNetwork(r *rand.Rand) *store.Dataset {
	d := &store.Dataset{Locations: []store.Location{{Name: "us-east-1"}}}
	for i := range 6 {
		d.Directories = append(d.Directories, store.Directory{Path: patchDir(i),
			Current:    store.Repomd{Size: 10, Timestamp: 2, SHA256: patchSHA(i, 0)},
			Alternates: []store.Repomd{{Size: 9, Timestamp: 1, SHA256: patchSHA(i, 1), Superseded: time.Unix(2, 0).UTC()}},
		})
		d.Repositories = append(d.Repositories, store.Repository{Prefix: fmt.Sprintf("repo-%d", i), Arch: "x86_64", Directory: patchDir(i)})
	}
	for i := range 16 {
		d.Mirrors = append(d.Mirrors, patchMirror(r, fmt.Sprintf("m%02d.example.org", i)))
	}
	for _, m := range d.Mirrors {
		for i := range 6 {
			if r.IntN(2) == 0 {
				d.Freshness = append(d.Freshness, store.Freshness{Mirror: m.Name, Directory: patchDir(i), SHA256: patchSHA(i, r.IntN(2)), Reported: time.Unix(3, 0).UTC()})
			}
		}
	}
	return d
}

func patchMirror(r *rand.Rand, name string) store.Mirror {
	m := store.Mirror{Name: name, Country: patchCountries[r.IntN(len(patchCountries))], Bandwidth: 1 + r.IntN(100),
		Enabled: r.IntN(6) != 0, AlwaysUpToDate: r.IntN(8) == 0, URLs: []string{"https://" + name + "/pub"}}
	if r.IntN(3) == 0 {
		m.Netblocks = []string{fmt.Sprintf("10.%d.0.0/16", r.IntN(3))}
	}
	if r.IntN(5) == 0 {
		m.Locations = []string{"us-east-1"}
	}
	return m
}

// patchChange makes one random change through the store, as the admin
// API, mirror-sync and the crawler do. Refused changes are part of it.
func patchChange(ctx context.Context, st store.Store, r *rand.Rand, step int) {
	name := fmt.Sprintf("m%02d.example.org", r.IntN(20))
	dir := r.IntN(6)
	edit := func(change func(*store.Mirror)) {
		st.UpdateMirror(ctx, name, func(m *store.Mirror) error { change(m); return nil })
	}
	switch r.IntN(10) {
	case 0, 1, 2:
		st.Report(ctx, store.Freshness{Mirror: name, Directory: patchDir(dir), SHA256: patchSHA(dir, r.IntN(2)), Reported: time.Unix(int64(10+step), 0)})
	case 3:
		st.Forget(ctx, name, patchDir(dir))
	case 4:
		edit(func(m *store.Mirror) { m.Enabled = !m.Enabled })
	case 5:
		edit(func(m *store.Mirror) {
			fresh := patchMirror(r, name)
			m.Country, m.Bandwidth, m.Netblocks, m.Locations = fresh.Country, fresh.Bandwidth, fresh.Netblocks, fresh.Locations
			m.CountriesAllowed = nil
			if r.IntN(3) == 0 {
				m.CountriesAllowed = []string{patchCountries[r.IntN(len(patchCountries))]}
			}
		})
	case 6:
		edit(func(m *store.Mirror) { m.AlwaysUpToDate = !m.AlwaysUpToDate })
	case 7:
		// The crawler: a failed crawl takes the mirror out, a good one
		// records what it saw and brings it back.
		res := store.CrawlResult{Mirror: name, Started: time.Unix(int64(100+step), 0), Finished: time.Unix(int64(101+step), 0),
			Checks:       []store.ProtocolCheck{{Protocol: "https", OK: true}},
			Observations: []store.Observation{{Directory: patchDir(dir), Status: store.SeenOK, SHA256: patchSHA(dir, 0)}}}
		if r.IntN(2) == 0 {
			res.Checks = []store.ProtocolCheck{{Protocol: "https", Reason: store.ReasonTimeout, Detail: "no answer"}}
			res.Observations = []store.Observation{{Directory: patchDir(dir), Status: store.SeenError, Detail: "timeout"}}
		}
		st.RecordCrawl(ctx, res, store.CrawlPolicy{DisableAfter: 1})
	case 8:
		st.DeleteMirror(ctx, name)
	default:
		st.CreateMirror(ctx, patchMirror(r, name))
	}
}

// Whatever reports, forgets, crawls, enables, edits, deletes and creates
// reach the store, the reloader follows them with patches alone, and its
// snapshot answers as one built afresh from the store does.
func TestReloaderPatchesLikeRebuild(t *testing.T) {
	ctx := t.Context()
	for seed := range uint64(3) {
		r := rand.New(rand.NewPCG(seed, 11))
		st, err := sqlite.Open(ctx, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if err := st.Restore(ctx, patchNetwork(r)); err != nil {
			t.Fatal(err)
		}
		rl, err := StartReloader(ctx, st, slog.New(slog.DiscardHandler), ReloaderOptions{Every: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		for step := range 40 {
			for range 1 + r.IntN(4) {
				patchChange(ctx, st, r, step)
			}
			rebuilt, err := rl.Update(ctx)
			if err != nil || rebuilt {
				t.Fatalf("seed %d step %d: Update = %v, %v; want a patch", seed, step, rebuilt, err)
			}
			d, err := st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			comparePatched(t, metalink.NewSnapshot(d, time.Now()), rl.Snapshot(), seed, step)
		}
	}
}

func comparePatched(t *testing.T, want, got *metalink.Snapshot, seed uint64, step int) {
	t.Helper()
	if want.MirrorCount() != got.MirrorCount() {
		t.Fatalf("seed %d step %d: %d mirrors patched, %d rebuilt", seed, step, got.MirrorCount(), want.MirrorCount())
	}
	clients := []metalink.Client{{}, {Addr: netip.MustParseAddr("10.1.0.7"), Country: "FR"}, {Addr: netip.MustParseAddr("192.0.2.9"), Country: "JP"}}
	for i := range 6 {
		for j, extra := range []string{"", "&location=us-east-1", "&country=US"} {
			q := metalink.ParseQuery(fmt.Sprintf("repo=repo-%d&arch=x86_64%s", i, extra))
			for k, c := range clients {
				for _, isMetalink := range []bool{true, false} {
					o := metalink.Options{Now: time.Unix(1e9, 0), Rand: rand.New(rand.NewPCG(uint64(step), uint64(i*100+j*10+k)))}
					a := metalink.Answer(nil, want, &q, isMetalink, c, o)
					o.Rand = rand.New(rand.NewPCG(uint64(step), uint64(i*100+j*10+k)))
					b := metalink.Answer(nil, got, &q, isMetalink, c, o)
					if a.Status != b.Status || string(a.Body) != string(b.Body) {
						t.Fatalf("seed %d step %d, repo-%d%s for %+v: answers differ (-rebuild +patched):\n%s",
							seed, step, i, extra, c, cmp.Diff(string(a.Body), string(b.Body)))
					}
				}
			}
		}
	}
}

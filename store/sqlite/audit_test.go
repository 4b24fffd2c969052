package sqlite_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/sqlite"
	"github.com/metalinkd/metalinkd/store/storetest"
)

func TestAuditRetention(t *testing.T) {
	storetest.RunAuditRetention(t, func(t *testing.T, r store.AuditRetention) store.Store {
		s, err := sqlite.Open(t.Context(), t.TempDir(), sqlite.WithAuditRetention(r))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestAuditGrowth checks that creating and deleting a big mirror grows the
// audit log by what the changes mean, capped per value, not by what the
// mirror weighed: 20 cycles of a 40,000-netblock mirror (about 0.8 MB each
// way) once added every byte of it to the log.
func TestAuditGrowth(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	ctx := context.Background()
	big := mirror("big")
	for i := range 40_000 {
		big.Netblocks = append(big.Netblocks, fmt.Sprintf("10.%d.%d.0/24", i/256, i%256))
	}
	for range 20 {
		if err := s.CreateMirror(ctx, big); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteMirror(ctx, "big"); err != nil {
			t.Fatal(err)
		}
	}
	log, err := s.ListAudit(ctx, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, e := range log {
		total += len(e.Detail)
	}
	t.Logf("40 audit entries hold %d bytes of detail", total)
	if len(log) != 40 || total > 40*4<<10 {
		t.Errorf("%d audit entries with %d bytes of detail; want 40 entries of a few hundred bytes each", len(log), total)
	}
}

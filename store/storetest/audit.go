package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

// auditDetail decodes an entry's detail: each changed field's before and after.
func auditDetail(t *testing.T, e store.AuditEntry) map[string]map[string]any {
	t.Helper()
	var d map[string]map[string]any
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		t.Fatalf("%s detail %s: %v", e.Action, e.Detail, err)
	}
	return d
}

// An audit entry records the fields a change set, each cut to
// store.MaxAuditValue with a marker, never the whole entity: a huge mirror
// created and deleted costs the log a few kilobytes.
func testAuditDetail(t *testing.T, s store.Store) {
	tk := tokens(t, s)
	m := mirror("big.example.org")
	for i := range 20_000 {
		m.Netblocks = append(m.Netblocks, fmt.Sprintf("10.%d.%d.0/24", i/256, i%256))
	}
	m.URLs = []string{"https://big.example.org/" + strings.Repeat("x", 1900)}
	must(t, "CreateMirror", s.CreateMirror(ctx(t), m))
	_, err := s.UpdateMirror(ctx(t), m.Name, func(m *store.Mirror) error { m.Bandwidth = 250; return nil })
	must(t, "UpdateMirror", err)
	must(t, "DeleteMirror", s.DeleteMirror(ctx(t), m.Name))

	got, err := tk.ListAudit(ctx(t), 3, 0)
	if err != nil || len(got) != 3 {
		t.Fatalf("ListAudit: %d entries, %v", len(got), err)
	}
	for _, e := range got {
		if len(e.Detail) > 4<<10 {
			t.Errorf("%s detail is %d bytes; want each value cut to %d", e.Action, len(e.Detail), store.MaxAuditValue)
		}
	}
	update := auditDetail(t, got[1])
	if want := map[string]map[string]any{"bandwidth": {"before": 100.0, "after": 250.0}}; !cmp.Equal(update, want) {
		t.Errorf("update_mirror detail %s, want only the bandwidth, before and after", got[1].Detail)
	}
	for _, c := range []struct {
		entry store.AuditEntry
		side  string
	}{{got[2], "after"}, {got[0], "before"}} {
		d := auditDetail(t, c.entry)
		if d["name"][c.side] != m.Name || d["country"][c.side] != "NL" {
			t.Errorf("%s detail %s, want the mirror's fields %s", c.entry.Action, c.entry.Detail, c.side)
		}
		nb, _ := d["netblocks"][c.side].(map[string]any)
		if nb["truncated"] != true || nb["bytes"].(float64) < 20_000*10 || len(nb["head"].(string)) > store.MaxAuditValue {
			t.Errorf("%s netblocks %v, want a truncation marker with the size and a short head", c.entry.Action, d["netblocks"])
		}
	}
}

// RunAuditRetention checks that a store keeps no more of its audit log
// than its retention says. open returns a new, empty store with retention r.
func RunAuditRetention(t *testing.T, open func(t *testing.T, r store.AuditRetention) store.Store) {
	t.Run("MaxEntries", func(t *testing.T) {
		s := open(t, store.AuditRetention{MaxEntries: 3})
		for i := range 5 {
			must(t, "CreateLocation", s.CreateLocation(ctx(t), store.Location{Name: fmt.Sprintf("loc-%d", i)}))
		}
		checkAuditTargets(t, s, "loc-4", "loc-3", "loc-2")
	})
	t.Run("MaxAge", func(t *testing.T) {
		const age = 200 * time.Millisecond
		s := open(t, store.AuditRetention{MaxEntries: -1, MaxAge: age})
		must(t, "CreateLocation", s.CreateLocation(ctx(t), store.Location{Name: "old"}))
		time.Sleep(2 * age)
		must(t, "CreateLocation", s.CreateLocation(ctx(t), store.Location{Name: "new"}))
		checkAuditTargets(t, s, "new")
	})
}

func checkAuditTargets(t *testing.T, s store.Store, want ...string) {
	t.Helper()
	got, err := tokens(t, s).ListAudit(ctx(t), 100, 0)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	var targets []string
	for _, e := range got {
		targets = append(targets, e.Target)
	}
	if diff := cmp.Diff(want, targets); diff != "" {
		t.Errorf("audit targets kept (-want +got):\n%s", diff)
	}
}

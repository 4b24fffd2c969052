package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/storetest"
)

func TestEmbeddedContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := store.OpenEmbedded(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestEmbeddedAuditRetention(t *testing.T) {
	storetest.RunAuditRetention(t, func(t *testing.T, r store.AuditRetention) store.Store {
		s, err := store.OpenEmbedded(t.TempDir(), store.EmbeddedAuditRetention(r))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func mirror(name string) store.Mirror {
	return store.Mirror{Name: name, Country: "DE", Bandwidth: 10, Enabled: true, URLs: []string{"https://" + name + ".example/pub"}}
}

func TestEmbeddedInvalidChangeWritesNothing(t *testing.T) {
	dir := t.TempDir()
	s, err := store.OpenEmbedded(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.CreateMirror(ctx, mirror("a")); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "metalinkd.json"))
	bad := mirror("b")
	bad.Bandwidth = 0
	if err := s.CreateMirror(ctx, bad); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "metalinkd.json"))
	if string(before) != string(after) {
		t.Error("an invalid change altered the file")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "metalinkd.json" && e.Name() != ".lock" {
			t.Errorf("stray file %s left in the data directory", e.Name())
		}
	}
}

// TestEmbeddedConcurrentWriters checks the file lock: writers in several
// handles (as several processes would have) lose no update.
func TestEmbeddedConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := store.OpenEmbedded(dir)
			if err != nil {
				t.Error(err)
				return
			}
			for i := range 10 {
				if err := s.CreateMirror(context.Background(), mirror(fmt.Sprintf("w%d-%d", w, i))); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	s, _ := store.OpenEmbedded(dir)
	d, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Mirrors) != 40 {
		t.Errorf("%d mirrors after 40 concurrent puts", len(d.Mirrors))
	}
}

func TestEmbeddedRefusesDamagedOrForeignFiles(t *testing.T) {
	for name, content := range map[string]string{
		"damaged":      `{"format": 1, "dataset": {`,
		"newer format": `{"format": 99, "dataset": {}}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "metalinkd.json"), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := store.OpenEmbedded(dir); err == nil {
				t.Error("opened")
			}
		})
	}
}

func TestEmbeddedAuditAndTokens(t *testing.T) {
	s, err := store.OpenEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := store.WithActor(context.Background(), "token:t1")
	if err := s.CreateMirror(ctx, mirror("a")); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMirror(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	bad := mirror("b")
	bad.Country = "XX"
	_ = s.CreateMirror(ctx, bad)
	log, err := s.ListAudit(ctx, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Action != "delete_mirror" || log[1].Action != "create_mirror" || log[0].Actor != "token:t1" {
		t.Errorf("audit log %+v, want delete then create by token:t1 and nothing for the refused change", log)
	}
	tok := store.Token{ID: "t1", Name: "ops", Hash: []byte("0123456789abcdef0123456789abcdef"), Scopes: []string{store.ScopeAdmin},
		Created: time.Unix(1_700_000_000, 0).UTC()}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateToken(ctx, tok); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate token: %v", err)
	}
	got, err := s.TokenByHash(ctx, tok.Hash)
	if err != nil || got.ID != "t1" || !got.Revoked.IsZero() {
		t.Fatalf("lookup: %+v %v", got, err)
	}
	revokedAt := time.Unix(1_700_000_100, 0).UTC()
	if err := s.RevokeToken(ctx, "t1", revokedAt); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.TokenByHash(ctx, tok.Hash); !got.Revoked.Equal(revokedAt) {
		t.Errorf("revoked at %v, want %v", got.Revoked, revokedAt)
	}
	if _, err := s.TokenByHash(ctx, []byte("nope")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown hash: %v", err)
	}
}

// Creating and deleting a big mirror leaves the data as it was, and the
// audit log grows by what the changes mean, not by what they weighed.
func TestEmbeddedAuditGrowth(t *testing.T) {
	dir := t.TempDir()
	s, err := store.OpenEmbedded(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.CreateMirror(ctx, mirror("seed")); err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		fi, err := os.Stat(filepath.Join(dir, "metalinkd.json"))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	start := size()
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
	grown := size() - start
	t.Logf("20 cycles grew the store by %d bytes", grown)
	if grown > 200<<10 {
		t.Errorf("20 create/delete cycles of a %d-netblock mirror grew the store by %d bytes", len(big.Netblocks), grown)
	}
}

package storetest

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/metalinkd/metalinkd/store"
)

func tokens(t *testing.T, s store.Store) store.Tokens {
	t.Helper()
	tk, ok := s.(store.Tokens)
	if !ok {
		t.Skipf("%T does not implement store.Tokens", s)
	}
	return tk
}

func token(id string, created time.Time, scopes ...string) store.Token {
	h := sha256.Sum256([]byte("secret of " + id))
	return store.Token{ID: id, Name: "token " + id, Hash: h[:], Scopes: scopes, Created: created}
}

var tokenOpts = cmp.Options{cmpopts.EquateEmpty(), cmpopts.SortSlices(func(a, b store.Token) bool { return a.ID < b.ID })}

func testTokens(t *testing.T, s store.Store) {
	tk := tokens(t, s)
	admin := token("t1", at(0), store.ScopeAdmin)
	report := token("t2", at(time.Minute), store.ScopeReportPrefix+"s3-us-east-1")
	for _, x := range []store.Token{admin, report} {
		must(t, "CreateToken", tk.CreateToken(ctx(t), x))
	}
	got, err := tk.TokenByHash(ctx(t), report.Hash)
	if err != nil {
		t.Fatalf("TokenByHash: %v", err)
	}
	if diff := cmp.Diff(report, got, tokenOpts); diff != "" {
		t.Errorf("TokenByHash (-want +got):\n%s", diff)
	}
	if _, err := tk.TokenByHash(ctx(t), token("unknown", at(0)).Hash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TokenByHash of an unknown secret: %v, want ErrNotFound", err)
	}

	// Neither the ID nor the secret may be reused.
	dupID := token("t1", at(time.Hour))
	dupHash := token("t3", at(time.Hour))
	dupHash.Hash = admin.Hash
	for _, x := range []store.Token{dupID, dupHash} {
		if err := tk.CreateToken(ctx(t), x); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateToken(%s) = %v, want ErrConflict", x.ID, err)
		}
	}

	// A revoked token is still found, so that the API can say it is revoked;
	// revoking again keeps the first time.
	must(t, "RevokeToken", tk.RevokeToken(ctx(t), "t2", at(time.Hour)))
	must(t, "RevokeToken", tk.RevokeToken(ctx(t), "t2", at(2*time.Hour)))
	report.Revoked = at(time.Hour)
	if got, err := tk.TokenByHash(ctx(t), report.Hash); err != nil || !got.Revoked.Equal(report.Revoked) {
		t.Errorf("TokenByHash after revoking = %v, %v; want revoked at %v", got.Revoked, err, report.Revoked)
	}
	if err := tk.RevokeToken(ctx(t), "t9", at(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeToken of an unknown token: %v, want ErrNotFound", err)
	}

	list, err := tk.ListTokens(ctx(t))
	if err != nil {
		t.Fatalf("ListTokens: %v", err)
	}
	if diff := cmp.Diff([]store.Token{admin, report}, list, tokenOpts); diff != "" {
		t.Errorf("ListTokens (-want +got):\n%s", diff)
	}
	// Tokens are not part of the dataset: a Restore keeps them.
	must(t, "Restore", s.Restore(ctx(t), &store.Dataset{}))
	if list, err := tk.ListTokens(ctx(t)); err != nil || len(list) != 2 {
		t.Errorf("after Restore: %d tokens, %v; want 2", len(list), err)
	}
}

// Every change is recorded with the actor of its context; rejected ones
// are not.
func testAudit(t *testing.T, s store.Store) {
	tk := tokens(t, s)
	alice := store.WithActor(ctx(t), "alice")
	must(t, "CreateLocation", s.CreateLocation(alice, store.Location{Name: "us-east-1"}))
	must(t, "CreateMirror", s.CreateMirror(store.WithActor(ctx(t), "token:t1"), mirror("m.example.org")))
	if err := s.DeleteRedirect(alice, "nothing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteRedirect: %v", err)
	}
	if err := s.CreateLocation(alice, store.Location{Name: "Bad Name"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("CreateLocation: %v", err)
	}
	must(t, "DeleteMirror", s.DeleteMirror(ctx(t), "m.example.org"))

	got, err := tk.ListAudit(ctx(t), 10, 0)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	type entry struct{ Actor, Action, Target string }
	want := []entry{
		{"cli", "delete_mirror", "m.example.org"},
		{"token:t1", "create_mirror", "m.example.org"},
		{"alice", "put_location", "us-east-1"},
	}
	var brief []entry
	for i, e := range got {
		brief = append(brief, entry{e.Actor, e.Action, e.Target})
		if i > 0 && e.ID >= got[i-1].ID {
			t.Errorf("entry %d has ID %d after %d: want newest first", i, e.ID, got[i-1].ID)
		}
		if e.At.IsZero() {
			t.Errorf("entry %d has no time", i)
		}
		if e.Detail != nil && !json.Valid(e.Detail) {
			t.Errorf("entry %d detail is not JSON: %s", i, e.Detail)
		}
	}
	if diff := cmp.Diff(want, brief); diff != "" {
		t.Errorf("audit log (-want +got):\n%s", diff)
	}
	want2 := map[string]map[string]any{"name": {"after": "us-east-1"}}
	if d := auditDetail(t, got[2]); !cmp.Equal(d, want2) {
		t.Errorf("put_location detail %s, want the location's fields as set", got[2].Detail)
	}
}

func testAuditPaging(t *testing.T, s store.Store) {
	tk := tokens(t, s)
	for i := range 5 {
		must(t, "CreateLocation", s.CreateLocation(ctx(t), store.Location{Name: fmt.Sprintf("loc-%d", i)}))
	}
	var targets []string
	before := int64(0)
	for {
		page, err := tk.ListAudit(ctx(t), 2, before)
		if err != nil {
			t.Fatalf("ListAudit: %v", err)
		}
		if len(page) > 2 {
			t.Fatalf("ListAudit returned %d entries with limit 2", len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			targets = append(targets, e.Target)
		}
		before = page[len(page)-1].ID
	}
	want := []string{"loc-4", "loc-3", "loc-2", "loc-1", "loc-0"}
	if diff := cmp.Diff(want, targets); diff != "" {
		t.Errorf("paged audit targets (-want +got):\n%s", diff)
	}
}

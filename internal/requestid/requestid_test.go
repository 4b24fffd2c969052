package requestid

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	for id, keep := range map[string]bool{"abc-123_X.y": true, "": false, "bad id": false, "x\nInjected: 1": false, strings.Repeat("a", 65): false} {
		if Valid(id) != keep {
			t.Errorf("Valid(%q) = %v, want %v", id, !keep, keep)
		}
	}
}

func TestEnsure(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set(Header, "proxy-1")
	r, id := Ensure(r)
	if id != "proxy-1" || FromContext(r.Context()) != id {
		t.Errorf("a valid caller's id: got %q, context %q", id, FromContext(r.Context()))
	}
	// An id already in the context wins over the header, so that every
	// layer of one request uses the same.
	r.Header.Set(Header, "other")
	if _, again := Ensure(r); again != "proxy-1" {
		t.Errorf("second Ensure = %q, want the context's proxy-1", again)
	}

	bad := httptest.NewRequest("GET", "/", nil)
	bad.Header.Set(Header, "bad id")
	bad, id = Ensure(bad)
	if !Valid(id) || id == "bad id" || FromContext(bad.Context()) != id {
		t.Errorf("an invalid caller's id: got %q, context %q", id, FromContext(bad.Context()))
	}
	if a, b := New(), New(); a == b {
		t.Errorf("New returned %q twice", a)
	}
}

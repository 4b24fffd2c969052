package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/metalink"
	"github.com/metalinkd/metalinkd/server/admin"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// TestAdminBudgetCountsForwardedClient checks that behind a trusted proxy
// the admin API's bad-token budget counts each client the proxy forwarded
// for, not the proxy: one client spending its budget does not lock out
// another behind the same proxy.
func TestAdminBudgetCountsForwardedClient(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var srv *Server
	api := admin.New(admin.Options{Store: st, ClientAddr: func(r *http.Request) netip.Addr { return srv.ClientAddr(r) },
		FailureBudget: admin.FailureBudget{Failures: 3, Window: time.Hour, MaxClients: 100}})
	srv = New(NewStaticReloader(metalink.NewSnapshot(benchDataset(5), time.Now())), fakeGeo{},
		slog.New(slog.DiscardHandler), Options{Admin: api, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	h := srv.Handler()
	call := func(client string) int {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/mirrors", nil)
		req.RemoteAddr = "127.0.0.1:40000"
		req.Header.Set("X-Forwarded-For", client)
		req.Header.Set("Authorization", "Bearer mlk_bogus")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	for range 3 {
		if code := call("198.51.100.1"); code != http.StatusUnauthorized {
			t.Fatalf("a bad token within the budget: %d, want 401", code)
		}
	}
	if code := call("198.51.100.1"); code != http.StatusTooManyRequests {
		t.Errorf("the client past its budget: %d, want 429", code)
	}
	if code := call("198.51.100.2"); code != http.StatusUnauthorized {
		t.Errorf("another client behind the same proxy: %d, want 401", code)
	}
}

package admin

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/metalinkd/metalinkd/internal/requestid"
)

// Behind the server's middleware the API answers the id the middleware put
// in the context; served alone, it makes one.
func TestRequestIDFromContext(t *testing.T) {
	st := storeKinds[0].open(t)
	api := New(Options{Store: st, Context: t.Context()})
	for _, tt := range []struct {
		name, ctxID, header, want string
	}{
		{"from the context", "srv-1", "proxy-1", "srv-1"},
		{"from the caller", "", "proxy-1", "proxy-1"},
		{"made here", "", "bad id", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/mirrors", nil)
			r.Header.Set(requestid.Header, tt.header)
			if tt.ctxID != "" {
				r = r.WithContext(requestid.NewContext(r.Context(), tt.ctxID))
			}
			w := httptest.NewRecorder()
			api.ServeHTTP(w, r)
			got := w.Header().Get(requestid.Header)
			if tt.want != "" && got != tt.want || !requestid.Valid(got) {
				t.Errorf("X-Request-Id %q, want %q", got, tt.want)
			}
		})
	}
}

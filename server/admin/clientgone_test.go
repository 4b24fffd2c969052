package admin

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A client that hangs up while the store is read is no server error: no
// ERROR line, no 500 (finding L6), but 499 and a debug line.
func TestClientGoneIsNotAnError(t *testing.T) {
	var log bytes.Buffer
	api := New(Options{Store: storeKinds[0].open(t), Log: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/mirrors", nil)
	r.Header.Set("Authorization", "Bearer some-token")
	w := httptest.NewRecorder()
	api.ServeHTTP(w, r)
	if w.Code != 499 || strings.Contains(log.String(), "level=ERROR") || !strings.Contains(log.String(), "level=DEBUG") {
		t.Errorf("status %d, log:\n%s\nwant 499 and a debug line only", w.Code, log.String())
	}
}

package adminapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// flaky answers 502 to the first fails requests, then 200 with {}.
func flaky(t *testing.T, fails int32) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" || r.URL.Path[:8] != "/api/v1/" {
			t.Errorf("request %s %s with %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		if calls.Add(1) <= fails {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.Write([]byte("{}"))
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestClientRetries(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		do        func(c *Client) error
		fails     int32
		wantCalls int32
		wantErr   bool
	}{
		{"GET is retried", func(c *Client) error { _, err := c.Do(ctx, http.MethodGet, "/mirrors", nil, nil); return err }, 2, 3, false},
		{"DELETE is retried", func(c *Client) error { _, err := c.Do(ctx, http.MethodDelete, "/mirrors/m", nil, nil); return err }, 1, 2, false},
		{"POST is sent once", func(c *Client) error { _, err := c.Do(ctx, http.MethodPost, "/mirrors", Mirror{}, nil); return err }, 1, 1, true},
		{"a report is retried", func(c *Client) error { _, err := c.Report(ctx, "m", Report{}); return err }, 2, 3, false},
		{"a forget is retried", func(c *Client) error { _, err := c.Forget(ctx, "m", "p/"); return err }, 1, 2, false},
		{"retries end", func(c *Client) error { _, err := c.Do(ctx, http.MethodGet, "/mirrors", nil, nil); return err }, 9, 4, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := flaky(t, tt.fails)
			err := tt.do(NewClient(srv.URL+"/", "tok", WithRetries(4, time.Millisecond)))
			if (err != nil) != tt.wantErr || calls.Load() != tt.wantCalls {
				t.Errorf("err %v after %d calls, want error %v after %d", err, calls.Load(), tt.wantErr, tt.wantCalls)
			}
			var ae *Error
			if tt.wantErr && (!errors.As(err, &ae) || ae.Status != http.StatusBadGateway || ae.Message != "Bad Gateway") {
				t.Errorf("err %v, want a 502 with the status text for a message", err)
			}
		})
	}
}

func TestClientErrors(t *testing.T) {
	if _, err := NewClient("http://127.0.0.1:1", "").Do(context.Background(), http.MethodGet, "/mirrors", nil, nil); !errors.Is(err, ErrNoToken) {
		t.Errorf("without a token: %v, want ErrNoToken", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"invalid data","fields":[{"field":"urls[0]","entry":"m4","message":"has no scheme"}]}`))
	}))
	defer srv.Close()
	_, err := NewClient(srv.URL, "tok").Do(context.Background(), http.MethodGet, "/mirrors", nil, nil)
	if want := "invalid data (HTTP 400)\n  urls[0] (\"m4\"): has no scheme"; err == nil || err.Error() != want {
		t.Errorf("err %v, want %q", err, want)
	}
}

// The timeout bounds a call with its retries.
func TestClientTimeout(t *testing.T) {
	srv, _ := flaky(t, 100)
	c := NewClient(srv.URL, "tok", WithTimeout(50*time.Millisecond), WithRetries(100, 20*time.Millisecond))
	_, err := c.Do(context.Background(), http.MethodGet, "/mirrors", nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v, want the deadline", err)
	}
}

package mirrorsync

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// ServerClient talks to the metalink server's mirror API with a token
// scoped to one mirror.
type ServerClient struct {
	base    string
	http    *http.Client
	retries int
	backoff time.Duration
}

// NewServerClient returns a client of the server at base (no trailing slash).
func NewServerClient(base string, hc *http.Client) *ServerClient {
	if hc == nil {
		hc = &http.Client{Timeout: time.Minute}
	}
	return &ServerClient{base: base, http: hc, retries: 4, backoff: 500 * time.Millisecond}
}

// Report tells the server that mirror now serves the repomd.xml with this
// sha256 for dir. A sha256 the server does not accept gives ErrConflict.
func (c *ServerClient) Report(ctx context.Context, mirror, token, dir, sha256 string) error {
	body := map[string]string{"directory": dir, "sha256": sha256}
	return c.post(ctx, mirror, "report", token, body, nil)
}

// Forget tells the server to stop listing mirror for the directories under
// prefix and returns how many it forgot.
func (c *ServerClient) Forget(ctx context.Context, mirror, token, prefix string) (int, error) {
	var out struct {
		Forgotten int `json:"forgotten"`
	}
	err := c.post(ctx, mirror, "forget", token, map[string]string{"prefix": prefix}, &out)
	return out.Forgotten, err
}

func (c *ServerClient) post(ctx context.Context, mirror, action, token string, in, out any) error {
	if token == "" {
		return fmt.Errorf("server: %s for mirror %s: no token: %w", action, mirror, ErrUnauthorized)
	}
	payload, err := json.Marshal(in)
	if err != nil {
		return err
	}
	u := c.base + "/api/v1/mirrors/" + url.PathEscape(mirror) + "/" + action
	var lastErr error
	for attempt := 0; attempt < c.retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(c.backoff << (attempt - 1)):
			}
		}
		var retry bool
		retry, lastErr = c.once(ctx, u, token, payload, out)
		if !retry {
			break
		}
	}
	if lastErr != nil {
		return fmt.Errorf("server: %s %s: %w", action, mirror, lastErr)
	}
	return nil
}

// once makes one request and says whether a failure is worth retrying.
func (c *ServerClient) once(ctx context.Context, u, token string, payload []byte, out any) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(payload))
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return ctx.Err() == nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var msg struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(raw, &msg)
	switch {
	case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusNoContent:
		if out != nil && len(raw) > 0 {
			if err := json.Unmarshal(raw, out); err != nil {
				return false, fmt.Errorf("answer: %w", err)
			}
		}
		return false, nil
	case resp.StatusCode == http.StatusConflict:
		return false, fmt.Errorf("%s: %w", msg.Error, ErrConflict)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return false, fmt.Errorf("HTTP %d: %s: %w", resp.StatusCode, msg.Error, ErrUnauthorized)
	case resp.StatusCode == http.StatusNotFound:
		return false, fmt.Errorf("%s: %w", msg.Error, ErrNotFound)
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return true, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return false, fmt.Errorf("HTTP %d: %s", resp.StatusCode, msg.Error)
}

package mirrorsync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/metalinkd/metalinkd/internal/adminapi"
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

// api returns the admin API client for one mirror's token.
func (c *ServerClient) api(token string) *adminapi.Client {
	return adminapi.NewClient(c.base, token, adminapi.WithHTTPClient(c.http), adminapi.WithRetries(c.retries, c.backoff))
}

// Report tells the server that mirror now serves the repomd.xml with this
// sha256 for dir. A sha256 the server does not accept gives ErrConflict.
func (c *ServerClient) Report(ctx context.Context, mirror, token, dir, sha256 string) error {
	if token == "" {
		return noToken("report", mirror)
	}
	_, err := c.api(token).Report(ctx, mirror, adminapi.Report{Directory: dir, SHA256: sha256})
	return answerError("report", mirror, err)
}

// Forget tells the server to stop listing mirror for the directories under
// prefix and returns how many it forgot.
func (c *ServerClient) Forget(ctx context.Context, mirror, token, prefix string) (int, error) {
	if token == "" {
		return 0, noToken("forget", mirror)
	}
	n, err := c.api(token).Forget(ctx, mirror, prefix)
	return n, answerError("forget", mirror, err)
}

func noToken(action, mirror string) error {
	return fmt.Errorf("server: %s for mirror %s: no token: %w", action, mirror, ErrUnauthorized)
}

// answerError maps the server's answer to this package's errors, keeping
// the server's message.
func answerError(action, mirror string, err error) error {
	if err == nil {
		return nil
	}
	var ae *adminapi.Error
	if errors.As(err, &ae) {
		switch status := ae.Status; {
		case status == http.StatusConflict:
			err = fmt.Errorf("%s: %w", ae.Message, ErrConflict)
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			err = fmt.Errorf("HTTP %d: %s: %w", status, ae.Message, ErrUnauthorized)
		case status == http.StatusNotFound:
			err = fmt.Errorf("%s: %w", ae.Message, ErrNotFound)
		case status >= 500 || status == http.StatusTooManyRequests:
			err = fmt.Errorf("HTTP %d", status)
		default:
			err = fmt.Errorf("HTTP %d: %s", status, ae.Message)
		}
	}
	return fmt.Errorf("server: %s %s: %w", action, mirror, err)
}

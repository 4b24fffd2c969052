package mirrorsync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"

	"github.com/metalinkd/metalinkd/internal/adminapi"
	buildinfo "github.com/metalinkd/metalinkd/internal/version"
)

// ServerClient talks to the metalink server's mirror API with a token
// scoped to one mirror, and reads its public metalinks.
type ServerClient struct {
	base    string
	http    *http.Client
	retries int
	backoff time.Duration

	mu    sync.Mutex
	known map[string]bool // directory + " " + sha256 → the server lists it
}

// NewServerClient returns a client of the server at base (no trailing
// slash). Its requests carry mirror-sync's User-Agent.
func NewServerClient(base string, hc *http.Client) *ServerClient {
	if hc == nil {
		hc = &http.Client{Timeout: time.Minute}
	}
	withUA := *hc
	withUA.Transport = userAgent{next: hc.Transport, ua: buildinfo.UserAgent("mirror-sync")}
	return &ServerClient{base: base, http: &withUA, retries: 4, backoff: 500 * time.Millisecond, known: map[string]bool{}}
}

// userAgent sets the User-Agent of every request.
type userAgent struct {
	next http.RoundTripper
	ua   string
}

func (u userAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", u.ua)
	next := u.next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(r)
}

// Knows reports whether the server's metalink for dir lists a repomd.xml
// with this sha256, current or alternate. It reads the public metalink
// (the report token may not read the admin API's directories), once per
// directory and sha256.
func (c *ServerClient) Knows(ctx context.Context, dir, sha256 string) (bool, error) {
	key := dir + " " + sha256
	c.mu.Lock()
	known, ok := c.known[key]
	c.mu.Unlock()
	if ok {
		return known, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/metalink?path="+url.QueryEscape(dir), nil)
	if err != nil {
		return false, fmt.Errorf("server: metalink of %s: %w", dir, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return false, fmt.Errorf("server: metalink of %s: %w", dir, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return false, fmt.Errorf("server: metalink of %s: %w", dir, err)
	}
	if resp.StatusCode >= 500 {
		return false, fmt.Errorf("server: metalink of %s: HTTP %s", dir, resp.Status)
	}
	known = metalinkLists(body, sha256)
	c.mu.Lock()
	c.known[key] = known
	c.mu.Unlock()
	return known, nil
}

// metalinkLists reports whether a metalink document lists a sha256 hash
// of this value, for the current repomd or an alternate.
func metalinkLists(doc []byte, sha256 string) bool {
	d := etree.NewDocument()
	if d.ReadFromBytes(doc) != nil {
		return false
	}
	for _, h := range d.FindElements("//hash[@type='sha256']") {
		if strings.EqualFold(strings.TrimSpace(h.Text()), sha256) {
			return true
		}
	}
	return false
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

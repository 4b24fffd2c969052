package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxAnswer bounds the answer the client reads.
const maxAnswer = 64 << 20

// Client calls the admin API of one server with one bearer token.
// Idempotent requests are tried again after a connection error, a 429 or
// a 5xx, with a doubling pause; other requests are sent once, so that a
// create whose answer was lost is not made twice.
type Client struct {
	base    string // ends in /api/v1
	token   string
	http    *http.Client
	timeout time.Duration
	retries int
	backoff time.Duration
}

// Option configures NewClient.
type Option func(*Client)

// WithHTTPClient sends requests through hc. By default each request times
// out after a minute, or with the call under WithTimeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithTimeout bounds each call, its retries included.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithRetries sets how many times an idempotent request is tried in all
// (1: no retry) and the pause before the first retry, which doubles for
// each next one. The default is 4 tries from a pause of 500ms.
func WithRetries(tries int, backoff time.Duration) Option {
	return func(c *Client) { c.retries, c.backoff = max(tries, 1), backoff }
}

// NewClient returns a client of the server at base, a URL such as
// http://127.0.0.1:8080 (the API lives under /api/v1 there).
func NewClient(base, token string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(base, "/") + "/api/v1", token: token, retries: 4, backoff: 500 * time.Millisecond}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: time.Minute}
		if c.timeout > 0 {
			c.http = &http.Client{} // the call's deadline bounds each request
		}
	}
	return c
}

// ErrNoToken is the error of a call made without a token.
var ErrNoToken = errors.New("no token")

// Do sends a request to path (below /api/v1) with in, when not nil, as the
// JSON body. It returns the body of a successful answer and decodes it into
// out when out is not nil. An error answer is an *Error. Requests whose
// method is idempotent (GET, HEAD, PUT, DELETE) are retried; see Client.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) ([]byte, error) {
	return c.do(ctx, method, path, in, out, idempotent(method))
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

func (c *Client) do(ctx context.Context, method, path string, in, out any, retry bool) ([]byte, error) {
	if c.token == "" {
		return nil, ErrNoToken
	}
	var payload []byte
	if in != nil {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			return nil, err
		}
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	tries := 1
	if retry {
		tries = c.retries
	}
	var (
		raw []byte
		err error
	)
	for attempt := range tries {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, errors.Join(err, ctx.Err())
			case <-time.After(c.backoff << (attempt - 1)):
			}
		}
		var again bool
		raw, again, err = c.once(ctx, method, path, payload, in != nil)
		if !again {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, fmt.Errorf("the server's answer: %w", err)
		}
	}
	return raw, nil
}

// once makes one request and says whether a failure is worth retrying.
func (c *Client) once(ctx context.Context, method, path string, payload []byte, hasBody bool) ([]byte, bool, error) {
	var body io.Reader
	if hasBody {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if hasBody {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, ctx.Err() == nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, ctx.Err() == nil, err
	}
	if resp.StatusCode < 300 {
		return raw, false, nil
	}
	var eb ErrorBody
	ok := json.Unmarshal(raw, &eb) == nil
	again := resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
	return nil, again, newError(resp.StatusCode, eb, ok)
}

// Report tells the server that mirror now serves the repomd.xml with
// r.SHA256 for r.Directory. A report is idempotent and retried.
func (c *Client) Report(ctx context.Context, mirror string, r Report) (Freshness, error) {
	var f Freshness
	_, err := c.do(ctx, http.MethodPost, "/mirrors/"+url.PathEscape(mirror)+"/report", r, &f, true)
	return f, err
}

// Forget tells the server that mirror no longer serves the directories
// under prefix and returns how many it forgot. It is idempotent and retried.
func (c *Client) Forget(ctx context.Context, mirror, prefix string) (int, error) {
	var out Forgotten
	_, err := c.do(ctx, http.MethodPost, "/mirrors/"+url.PathEscape(mirror)+"/forget", Forget{Prefix: prefix}, &out, true)
	return out.Forgotten, err
}

// Health returns the crawler's view of every mirror.
func (c *Client) Health(ctx context.Context) (HealthList, error) {
	var out HealthList
	_, err := c.Do(ctx, http.MethodGet, "/health", nil, &out)
	return out, err
}

// MirrorHealth returns the crawler's view of one mirror.
func (c *Client) MirrorHealth(ctx context.Context, mirror string) (MirrorHealth, error) {
	var out MirrorHealth
	_, err := c.Do(ctx, http.MethodGet, "/mirrors/"+url.PathEscape(mirror)+"/health", nil, &out)
	return out, err
}

// Recover brings back a mirror the crawler disabled and returns its
// health. It is idempotent and retried.
func (c *Client) Recover(ctx context.Context, mirror string) (MirrorHealth, error) {
	var out MirrorHealth
	_, err := c.do(ctx, http.MethodPost, "/mirrors/"+url.PathEscape(mirror)+"/recover", nil, &out, true)
	return out, err
}

// Propagation returns the propagation points of one directory ("" for
// all) at or after since (zero for all), oldest first.
func (c *Client) Propagation(ctx context.Context, directory string, since time.Time) (PropagationList, error) {
	q := url.Values{}
	if directory != "" {
		q.Set("directory", directory)
	}
	if !since.IsZero() {
		q.Set("since", since.UTC().Format(time.RFC3339))
	}
	path := "/propagation"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out PropagationList
	_, err := c.Do(ctx, http.MethodGet, path, nil, &out)
	return out, err
}

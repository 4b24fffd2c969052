package crawler

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"syscall"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// transport is the one transport of a crawl: kept-alive connections, at
// most PerMirror of them per mirror host.
func (c *Crawler) transport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil, // mirrors are checked directly, never through a proxy
		DialContext:           (&net.Dialer{Timeout: c.cfg.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: c.cfg.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   c.cfg.Timeout,
		ResponseHeaderTimeout: c.cfg.Timeout,
		MaxConnsPerHost:       c.cfg.PerMirror,
		MaxIdleConnsPerHost:   c.cfg.PerMirror,
		MaxIdleConns:          c.cfg.Concurrency * c.cfg.PerMirror,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
}

// redirectError is a redirect the crawler does not follow.
type redirectError struct{ msg string }

func (e redirectError) Error() string { return e.msg }

// checkRedirect follows redirects within the mirror's host, at most
// MaxRedirects of them.
func (c *Crawler) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.cfg.MaxRedirects {
		return redirectError{fmt.Sprintf("more than %d redirects", c.cfg.MaxRedirects)}
	}
	if h := req.URL.Hostname(); h != via[0].URL.Hostname() {
		return redirectError{fmt.Sprintf("redirected off the mirror, to %s", h)}
	}
	return nil
}

// validators is what a URL answered last time, for conditional requests.
type validators struct {
	etag, lastModified string
	size               int64
	sha256             string
}

// validatorCache keeps validators by URL for the Crawler's lifetime.
type validatorCache struct {
	mu sync.Mutex
	m  map[string]validators
}

func newValidatorCache() *validatorCache { return &validatorCache{m: map[string]validators{}} }

func (vc *validatorCache) get(u string) (validators, bool) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	v, ok := vc.m[u]
	return v, ok
}

func (vc *validatorCache) put(u string, v validators) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if v.etag == "" && v.lastModified == "" {
		delete(vc.m, u)
		return
	}
	vc.m[u] = v
}

// checkHTTP fetches one directory's repodata/repomd.xml.
func (mc *mirrorCrawl) checkHTTP(base string, d *store.Directory) dirResult {
	u := base + "/" + d.Path + "/repodata/repomd.xml"
	ctx, cancel := context.WithTimeout(mc.ctx, mc.c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return failed(d, store.ReasonError, err.Error())
	}
	req.Header.Set("User-Agent", "metalinkd-crawler")
	prev, cached := mc.c.cache.get(u)
	if cached {
		if prev.etag != "" {
			req.Header.Set("If-None-Match", prev.etag)
		}
		if prev.lastModified != "" {
			req.Header.Set("If-Modified-Since", prev.lastModified)
		}
	}
	resp, err := mc.client.Do(req)
	if err != nil {
		reason, detail := classify(err)
		return failed(d, reason, detail)
	}
	defer func() {
		// Drain a short error page, so the connection is kept alive.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}()
	switch {
	case resp.StatusCode == http.StatusNotModified && cached:
		return judge(d, prev.size, prev.sha256, "")
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return dirResult{done: true, obs: store.Observation{Directory: d.Path, Status: store.SeenMissing, Detail: fmt.Sprintf("HTTP %d", resp.StatusCode)}}
	case resp.StatusCode != http.StatusOK:
		return failed(d, store.ReasonHTTPStatus, fmt.Sprintf("HTTP %d", resp.StatusCode))
	}
	return mc.readRepomd(d, u, resp)
}

// readRepomd reads a 200 answer's body, at most MaxBody bytes, and judges
// it; a repomd is remembered with its validators.
func (mc *mirrorCrawl) readRepomd(d *store.Directory, u string, resp *http.Response) dirResult {
	body, err := io.ReadAll(io.LimitReader(resp.Body, mc.c.cfg.MaxBody+1))
	if err != nil {
		reason, detail := classify(err)
		return failed(d, reason, detail)
	}
	if int64(len(body)) > mc.c.cfg.MaxBody {
		return dirResult{done: true, reason: store.ReasonWrongContent, obs: store.Observation{Directory: d.Path, Status: store.SeenOther,
			Detail: fmt.Sprintf("more than %d bytes: not a repomd.xml", mc.c.cfg.MaxBody)}}
	}
	sum := sha256.Sum256(body)
	sha := hex.EncodeToString(sum[:])
	if !bytes.Contains(body, []byte("<repomd")) {
		return judge(d, int64(len(body)), sha, "not a repomd.xml")
	}
	mc.c.cache.put(u, validators{etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified"), size: int64(len(body)), sha256: sha})
	return judge(d, int64(len(body)), sha, "")
}

// failed is a directory whose request failed for reason.
func failed(d *store.Directory, reason, detail string) dirResult {
	return dirResult{done: true, reason: reason, obs: store.Observation{Directory: d.Path, Status: store.SeenError, Detail: detail}}
}

// judge compares what a mirror served with the directory's current
// repomd and alternates, by size first and then by sha256.
func judge(d *store.Directory, size int64, sha, wrong string) dirResult {
	r := dirResult{done: true, obs: store.Observation{Directory: d.Path, Status: store.SeenOther, SHA256: sha}}
	if wrong != "" {
		r.reason, r.obs.Detail = store.ReasonWrongContent, wrong
		return r
	}
	if accepts(d, func(m *store.Repomd) bool { return m.Size == size && m.SHA256 == sha }) {
		r.obs.Status = store.SeenOK
	}
	return r
}

// accepts reports whether match holds for the current repomd or an alternate.
func accepts(d *store.Directory, match func(*store.Repomd) bool) bool {
	if match(&d.Current) {
		return true
	}
	for i := range d.Alternates {
		if match(&d.Alternates[i]) {
			return true
		}
	}
	return false
}

// classify maps a request error to a store.Reason* and a readable detail.
func classify(err error) (reason, detail string) {
	var re redirectError
	var ne net.Error
	var cve *tls.CertificateVerificationError
	var rhe tls.RecordHeaderError
	var ae tls.AlertError
	switch {
	case errors.As(err, &re):
		return store.ReasonHTTPStatus, re.msg
	case errors.As(err, &cve), errors.As(err, &rhe), errors.As(err, &ae):
		return store.ReasonTLS, unwrapURL(err)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return store.ReasonTimeout, unwrapURL(err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return store.ReasonRefused, unwrapURL(err)
	}
	return store.ReasonError, unwrapURL(err)
}

// unwrapURL drops the method and URL net/http puts before an error.
func unwrapURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

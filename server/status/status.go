// Package status is the public status page at /mirrors: the public
// mirrors by country with their state, per category of directories how
// many mirrors carry the latest repomd.xml, and regional mirrors counted
// per location. It is server-rendered HTML with inline CSS and SVG, needs
// no JavaScript and loads nothing from elsewhere. It never shows private or
// regional mirrors' URLs, names or buckets, netblocks, ASNs or tokens.
package status

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/metalinkd/metalinkd/internal/freshness"
	"github.com/metalinkd/metalinkd/metalink"
	"github.com/metalinkd/metalinkd/store"
)

//go:embed templates/page.html
var templates embed.FS

var pageTemplate = template.Must(template.New("page.html").Funcs(template.FuncMap{
	"join": strings.Join,
	"time": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
}).ParseFS(templates, "templates/page.html"))

// Board keeps the page of the current snapshot. Update builds the page's
// data when a snapshot is built; the HTML is rendered once, on the first
// view of that snapshot, so a burst of views costs a copy of bytes each.
// The zero value is ready to use and serves 503 until the first Update.
type Board struct {
	cur atomic.Pointer[edition]
	// mu orders Update, SetUsage and SetPropagation; usage is the latest
	// statistics, points the propagation points for the next Update.
	mu     sync.Mutex
	usage  *Usage
	points []store.PropagationPoint
}

// edition is the page of one snapshot and its HTML, rendered once.
type edition struct {
	snap *metalink.Snapshot
	page *Page
	once sync.Once
	html []byte
	err  error
}

// Update builds the page of d, the dataset snap was built from; call it
// before snap is served so that the page is never older than the answers.
func (b *Board) Update(d *store.Dataset, snap *metalink.Snapshot) {
	b.UpdateCounted(d, Count(d), snap)
}

// UpdateCounted is Update of a dataset whose freshness c tallied as it
// streamed (see BuildCounted).
func (b *Board) UpdateCounted(d *store.Dataset, c *freshness.Counter, snap *metalink.Snapshot) {
	p := BuildCounted(d, c, snap.Built)
	b.mu.Lock()
	defer b.mu.Unlock()
	p.Usage = b.usage
	p.Compose = composeOf(d, b.points)
	b.cur.Store(&edition{snap: snap, page: p})
}

// SetUsage shows u from now on: the page is rendered again, once, on its
// next view (after each statistics flush, not per view).
func (b *Board) SetUsage(u *Usage) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.usage = u
	if e := b.cur.Load(); e != nil {
		p := *e.page
		p.Usage = u
		b.cur.Store(&edition{snap: e.snap, page: &p})
	}
}

// SetPropagation gives the crawls' propagation points of the latest
// compose (see LatestCompose) to the next Update, which charts them; nil
// when the store keeps none. They are read at reload, so the chart, like
// the rest of the page, is as of the snapshot.
func (b *Board) SetPropagation(points []store.PropagationPoint) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.points = points
}

// snapshot returns the snapshot the current page describes, or nil.
func (b *Board) snapshot() *metalink.Snapshot {
	if e := b.cur.Load(); e != nil {
		return e.snap
	}
	return nil
}

// ServeHTTP answers GET and HEAD with the page.
func (b *Board) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	e := b.cur.Load()
	if e == nil {
		http.Error(w, "the status page is not available yet", http.StatusServiceUnavailable)
		return
	}
	e.once.Do(func() { e.html, e.err = Render(e.page) })
	if e.err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Nothing may load from elsewhere: no scripts, fonts or images at all.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'")
	h.Set("Cache-Control", "public, max-age=60")
	w.Write(e.html)
}

// Render returns the page's HTML.
func Render(p *Page) ([]byte, error) {
	var buf bytes.Buffer
	data := struct {
		*Page
		Chart, Timeline   chartView
		Requests, Countme columnChart
	}{Page: p, Chart: p.Propagation.layout("chart-title"), Timeline: p.Compose.Timeline.layout("timeline-title")}
	if p.Usage != nil {
		data.Requests, data.Countme = p.Usage.charts()
	}
	if err := pageTemplate.Execute(&buf, data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

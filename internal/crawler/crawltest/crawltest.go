// Package crawltest serves mirrors for the crawler's tests and benchmark:
// Go file servers on loopback addresses, each behaving as one kind of
// mirror (fresh, stale, hanging…), and the same trees written to disk for
// real web and rsync servers.
package crawltest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/metalinkd/metalinkd/internal/scan"
	"github.com/metalinkd/metalinkd/store"
)

// Tree is a master tree's directories with three versions of each
// repomd.xml: the current one, an alternate still accepted, and a stale
// one the directory no longer accepts.
type Tree struct {
	Dirs                     []store.Directory
	current, alt, stale      map[string][]byte
	curTS, altTS, staleTS    int64
	curMod, altMod, staleMod time.Time
}

// NewTree returns a tree of n directories under fedora/linux/updates.
func NewTree(n int) *Tree {
	t := &Tree{current: map[string][]byte{}, alt: map[string][]byte{}, stale: map[string][]byte{},
		curTS: 1764460800, altTS: 1764374400, staleTS: 1764288000}
	t.curMod, t.altMod, t.staleMod = time.Unix(t.curTS, 0), time.Unix(t.altTS, 0), time.Unix(t.staleTS, 0)
	recorded := time.Unix(t.curTS, 0).UTC()
	for i := range n {
		p := fmt.Sprintf("fedora/linux/updates/%d/Everything/x86_64", 30+i)
		t.current[p] = repomd(p, t.curTS, "primary current")
		t.alt[p] = repomd(p, t.altTS, "primary older")
		t.stale[p] = repomd(p, t.staleTS, "primary much older, stale")
		cur, alt := scan.Describe(t.current[p], t.curTS), scan.Describe(t.alt[p], t.altTS)
		cur.Recorded, alt.Recorded, alt.Superseded = recorded, recorded.Add(-time.Hour), recorded
		t.Dirs = append(t.Dirs, store.Directory{Path: p, Current: cur, Alternates: []store.Repomd{alt}})
	}
	return t
}

func repomd(dir string, ts int64, what string) []byte {
	return fmt.Appendf(nil, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<repomd xmlns=\"http://linux.duke.edu/metadata/repo\">\n"+
		"  <revision>%d</revision>\n  <data type=\"primary\"><location href=\"repodata/%s.xml.gz\"/><timestamp>%d</timestamp></data>\n"+
		"  <!-- %s -->\n</repomd>\n", ts, strings.ReplaceAll(what, " ", "-"), ts, dir)
}

// Version names one of a directory's repomd.xml versions.
type Version int

// Versions of a repomd.xml.
const (
	Current Version = iota
	Alternate
	Stale
)

// Repomd returns a version of dir's repomd.xml and its modification time.
func (t *Tree) Repomd(dir string, v Version) ([]byte, time.Time) {
	switch v {
	case Alternate:
		return t.alt[dir], t.altMod
	case Stale:
		return t.stale[dir], t.staleMod
	}
	return t.current[dir], t.curMod
}

// SHA256 returns the sha256 of a version of dir's repomd.xml.
func (t *Tree) SHA256(dir string, v Version) string {
	b, mod := t.Repomd(dir, v)
	return scan.Describe(b, mod.Unix()).SHA256
}

// WriteTree writes the tree under root/pub with version v of every
// repomd.xml (skip lists directories left out), each file's modification
// time set to its timestamp, as rsync -t copies it from the master.
func (t *Tree) WriteTree(root string, v Version, skip map[string]bool) error {
	for _, d := range t.Dirs {
		if skip[d.Path] {
			continue
		}
		b, mod := t.Repomd(d.Path, v)
		f := filepath.Join(root, "pub", d.Path, "repodata", "repomd.xml")
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(f, b, 0o644); err != nil {
			return err
		}
		if err := os.Chtimes(f, mod, mod); err != nil {
			return err
		}
	}
	return nil
}

// Kind is how a served mirror behaves.
type Kind string

// Kinds of mirrors.
const (
	Fresh       Kind = "fresh"        // the current repomd everywhere
	StaleKind   Kind = "stale"        // a repomd no longer accepted
	AltOnly     Kind = "alternate"    // the previous repomd, still accepted
	MissingDir  Kind = "missing-dir"  // fresh but without the first directory
	NotFound    Kind = "404"          // 404 for everything
	Status500   Kind = "500"          // 500 for everything
	Status503   Kind = "503"          // 503 for everything
	Forbidden   Kind = "403"          // 403 for everything
	Redirecting Kind = "redirect"     // a redirect within the host, then fresh
	OffHost     Kind = "redirect-off" // a redirect to another host
	Drip        Kind = "drip"         // headers, then a byte every 200 ms
	Hang        Kind = "hang"         // accepts and never answers
	WrongBody   Kind = "wrong"        // 200 with an HTML page
)

// Handler serves tree as a mirror of kind k under /pub.
func Handler(t *Tree, k Kind) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch k {
		case NotFound:
			http.NotFound(w, r)
			return
		case Status500, Status503, Forbidden:
			code := map[Kind]int{Status500: 500, Status503: 503, Forbidden: 403}[k]
			http.Error(w, http.StatusText(code), code)
			return
		case Hang:
			<-r.Context().Done()
			return
		case WrongBody:
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html><body>Welcome to our captive portal</body></html>")
			return
		case Redirecting:
			if strings.HasPrefix(p, "/pub/") {
				http.Redirect(w, r, "/moved/"+strings.TrimPrefix(p, "/pub/"), http.StatusFound)
				return
			}
			p = "/pub/" + strings.TrimPrefix(p, "/moved/")
		case OffHost:
			http.Redirect(w, r, "http://elsewhere.invalid"+p, http.StatusMovedPermanently)
			return
		}
		dir, ok := strings.CutSuffix(strings.TrimPrefix(p, "/pub/"), "/repodata/repomd.xml")
		if !ok || t.current[dir] == nil || (k == MissingDir && dir == t.Dirs[0].Path) {
			http.NotFound(w, r)
			return
		}
		v := map[Kind]Version{StaleKind: Stale, AltOnly: Alternate}[k]
		b, mod := t.Repomd(dir, v)
		if k == Drip {
			drip(w, r, b)
			return
		}
		w.Header().Set("ETag", fmt.Sprintf("%q", t.SHA256(dir, v)[:16]))
		http.ServeContent(w, r, "repomd.xml", mod, bytes.NewReader(b))
	})
}

func drip(w http.ResponseWriter, r *http.Request, b []byte) {
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(http.StatusOK)
	for i := range b {
		if _, err := w.Write(b[i : i+1]); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Server is one served mirror.
type Server struct {
	Kind Kind
	// Requests counts the requests answered, NotModified the 304s among
	// them, Conns the TCP connections accepted.
	Requests, NotModified, Conns atomic.Int64
	// URL is the mirror's base URL (scheme, host, port and /pub).
	URL string
	srv *http.Server
}

// Close stops the server and drops its connections.
func (s *Server) Close() error { return s.srv.Close() }

// Serve serves tree as a mirror of kind k on ip (such as 127.0.0.7) at
// a free port; conns counts the TCP connections it accepts.
func Serve(ip string, t *Tree, k Kind, conns *atomic.Int64) (*Server, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return nil, err
	}
	return serveOn(l, "http", Handler(t, k), k, conns), nil
}

// ServeAt serves tree as a mirror of kind k at addr (host:port).
func ServeAt(addr string, t *Tree, k Kind) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return serveOn(l, "http", Handler(t, k), k, nil), nil
}

func serveOn(l net.Listener, scheme string, h http.Handler, k Kind, conns *atomic.Int64) *Server {
	s := &Server{Kind: k, URL: scheme + "://" + l.Addr().String() + "/pub"}
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Requests.Add(1)
		h.ServeHTTP(&notModifiedCounter{ResponseWriter: w, s: s}, r)
	})
	s.srv = &http.Server{Handler: counted, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: log.New(io.Discard, "", 0),
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				s.Conns.Add(1)
				if conns != nil {
					conns.Add(1)
				}
			}
		}}
	go s.srv.Serve(l) //nolint:errcheck // ends with Close
	return s
}

// notModifiedCounter counts the 304s a server answers.
type notModifiedCounter struct {
	http.ResponseWriter
	s *Server
}

func (w *notModifiedCounter) WriteHeader(code int) {
	if code == http.StatusNotModified {
		w.s.NotModified.Add(1)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *notModifiedCounter) Flush() { w.ResponseWriter.(http.Flusher).Flush() }

// RefusedURL returns a base URL on ip where nothing listens.
func RefusedURL(ip string) (string, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/pub", nil
}

// IP returns the n-th loopback address handed to mirrors: 127.0.0.2 up to
// 127.0.0.254, then 127.0.1.2 and on.
func IP(n int) string {
	return fmt.Sprintf("127.0.%d.%d", n/253, 2+n%253)
}

// Record records the tree in st as two scans: the alternates first, then
// the current versions, which makes the first ones alternates.
func (t *Tree) Record(ctx context.Context, st store.Store) error {
	for _, v := range []Version{Alternate, Current} {
		var scanned []store.ScannedRepomd
		for _, d := range t.Dirs {
			b, mod := t.Repomd(d.Path, v)
			scanned = append(scanned, store.ScannedRepomd{Directory: d.Path, Repomd: scan.Describe(b, mod.Unix())})
		}
		now := time.Now().Add(-time.Hour)
		if v == Current {
			now = time.Now()
		}
		if _, err := st.RecordScan(ctx, scanned, now, store.DefaultAlternateMaxAge); err != nil {
			return err
		}
	}
	return nil
}

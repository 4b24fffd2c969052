// Command benchcrawl measures metalinkd crawl on loopback: it serves
// -mirrors Go file servers, each on its own 127.0.x.y address and each
// carrying -dirs directories, records them in a fresh embedded store (or
// the PostgreSQL database of -database-url), runs the crawl binary once
// and prints its wall time, requests per second, peak RSS and the TCP
// connections the mirrors accepted (counted with http.Server.ConnState).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/metalinkd/metalinkd/internal/crawler/crawltest"
	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/postgres"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

func main() {
	bin := flag.String("metalinkd", "", "the metalinkd binary to run")
	mirrors := flag.Int("mirrors", 300, "mirrors served")
	dirs := flag.Int("dirs", 50, "directories per mirror")
	dsn := flag.String("database-url", "", "PostgreSQL database to use instead of an embedded store (emptied first by the caller)")
	concurrency := flag.Int("concurrency", 32, "crawl --concurrency")
	flag.Parse()
	if *bin == "" {
		log.Fatal("-metalinkd is required")
	}
	if err := run(*bin, *mirrors, *dirs, *dsn, *concurrency); err != nil {
		log.Fatal(err)
	}
}

func run(bin string, nMirrors, nDirs int, dsn string, concurrency int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "bench-crawl-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	storeArgs := []string{"--data-dir", dir}
	var st store.Store
	if dsn != "" {
		storeArgs = []string{"--database-url", dsn}
		st, err = postgres.Open(ctx, dsn)
	} else {
		st, err = sqlite.Open(ctx, dir)
	}
	if err != nil {
		return err
	}
	tree := crawltest.NewTree(nDirs)
	if err := tree.Record(ctx, st); err != nil {
		return err
	}
	var conns atomic.Int64
	var servers []*crawltest.Server
	for i := range nMirrors {
		s, err := crawltest.Serve(crawltest.IP(i), tree, crawltest.Fresh, &conns)
		if err != nil {
			return err
		}
		servers = append(servers, s)
		m := store.Mirror{Name: fmt.Sprintf("m%04d", i), Country: "DE", Bandwidth: 100, Enabled: true, URLs: []string{s.URL}}
		if err := st.CreateMirror(ctx, m); err != nil {
			return err
		}
	}
	st.Close()
	defer func() {
		for _, s := range servers {
			s.Close()
		}
	}()

	fmt.Printf("store:                 %s\n", map[bool]string{true: "PostgreSQL", false: "embedded"}[dsn != ""])
	fmt.Printf("mirrors x directories: %d x %d = %d repomd checks (concurrency %d, 2 connections per mirror)\n", nMirrors, nDirs, nMirrors*nDirs, concurrency)
	// The first crawl writes every freshness row; the second finds
	// nothing changed and writes none.
	for _, round := range []string{"first crawl (every row new)", "second crawl (nothing changed)"} {
		if err := crawlOnce(bin, round, storeArgs, concurrency, nMirrors, servers, &conns); err != nil {
			return err
		}
	}
	return nil
}

// crawlOnce runs the crawl binary once and prints what it cost.
func crawlOnce(bin, round string, storeArgs []string, concurrency, nMirrors int, servers []*crawltest.Server, conns *atomic.Int64) error {
	var before int64
	for _, s := range servers {
		before += s.Requests.Load()
	}
	connsBefore := conns.Load()
	args := append([]string{"crawl", "--concurrency", fmt.Sprint(concurrency)}, storeArgs...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true")
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	wall := time.Since(start)
	if err != nil {
		return fmt.Errorf("metalinkd crawl: %v\n%s", err, out)
	}
	var requests int64
	for _, s := range servers {
		requests += s.Requests.Load()
	}
	requests -= before
	accepted := conns.Load() - connsBefore
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
	fmt.Printf("\n%s:\n", round)
	fmt.Printf("  wall time:             %s (the whole process: start, store, crawl, records)\n", wall.Round(time.Millisecond))
	fmt.Printf("  requests answered:     %d (%.0f per second)\n", requests, float64(requests)/wall.Seconds())
	fmt.Printf("  peak RSS of the crawl: %.1f MiB\n", float64(rss)/1024)
	fmt.Printf("  TCP connections:       %d accepted by the mirrors (%.2f per mirror)\n", accepted, float64(accepted)/float64(nMirrors))
	fmt.Printf("  crawl's summary:\n%s", indent(lastLines(string(out), 6)))
	return nil
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ") + "\n"
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	end := len(s)
	for i := len(s) - 2; i >= 0; i-- {
		if s[i] == '\n' {
			n--
			if n == 0 {
				return s[i+1 : end]
			}
		}
	}
	return s
}

// Command benchscale measures how long a change takes to become visible in a
// running metalinkd's answers: it records freshness reports (and forgets)
// and mirror disables (and enables) through the admin API and polls the
// metalink of the directory concerned until the answer shows the change. It
// reads the data set that scalegen wrote to pick mirrors and a directory,
// and prints the percentiles as JSON. scripts/bench-scale.sh runs it.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

type dataset struct {
	Mirrors []struct {
		Name   string `json:"name"`
		Region string `json:"region"`
	} `json:"mirrors"`
	Repositories []struct {
		Prefix, Arch, Directory string
	} `json:"repositories"`
	Directories []struct {
		Path    string `json:"path"`
		Current struct {
			SHA256 string `json:"sha256"`
		} `json:"current"`
	} `json:"directories"`
	Freshness []struct {
		Mirror, Directory string
	} `json:"freshness"`
}

type result struct {
	Kind    string  `json:"kind"`
	Changes int     `json:"changes"`
	P50ms   float64 `json:"p50_ms"`
	P99ms   float64 `json:"p99_ms"`
	MaxMs   float64 `json:"max_ms"`
	Errors  int     `json:"errors"`
}

func main() {
	base := flag.String("url", "", "base URL of the server, such as http://127.0.0.1:8080")
	data := flag.String("data", "", "the data set scalegen wrote (JSON)")
	changes := flag.Int("changes", 100, "freshness changes to time (half reports, half forgets)")
	toggles := flag.Int("toggles", 20, "mirror disables and enables to time")
	timeout := flag.Duration("timeout", 30*time.Second, "longest wait for one change to show")
	flag.Parse()
	token := os.Getenv("METALINKD_TOKEN")
	if *base == "" || *data == "" || token == "" {
		log.Fatal("benchscale: need -url, -data and METALINKD_TOKEN")
	}
	d, err := readDataset(*data)
	if err != nil {
		log.Fatal(err)
	}
	dir, prefix, arch, sha, absent, present := pick(d)
	if len(absent) < *changes/2 || len(present) < *toggles/2 {
		log.Fatalf("benchscale: directory %s has %d mirrors to report and %d to toggle; too few", dir, len(absent), len(present))
	}
	b := &bench{base: strings.TrimRight(*base, "/"), token: token, timeout: *timeout,
		query: fmt.Sprintf("/metalink?repo=%s&arch=%s", prefix, arch)}
	enc := json.NewEncoder(os.Stdout)
	var seen []time.Duration
	errs := 0
	for i := range *changes {
		m := absent[i/2]
		var err error
		var took time.Duration
		if i%2 == 0 {
			took, err = b.change("POST", "/api/v1/mirrors/"+m+"/report", map[string]string{"directory": dir, "sha256": sha}, m, true)
		} else {
			took, err = b.change("POST", "/api/v1/mirrors/"+m+"/forget", map[string]string{"prefix": dir}, m, false)
		}
		if err != nil {
			log.Print(err)
			errs++
			continue
		}
		seen = append(seen, took)
	}
	must(enc.Encode(summarise("report", seen, errs)))
	seen, errs = nil, 0
	for i := range *toggles {
		m := present[i/2]
		path, want := "/api/v1/mirrors/"+m+"/disable", false
		if i%2 == 1 {
			path, want = "/api/v1/mirrors/"+m+"/enable", true
		}
		took, err := b.change("POST", path, nil, m, want)
		if err != nil {
			log.Print(err)
			errs++
			continue
		}
		seen = append(seen, took)
	}
	must(enc.Encode(summarise("enable-disable", seen, errs)))
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func readDataset(path string) (*dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var d dataset
	if err := json.NewDecoder(f).Decode(&d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &d, nil
}

// pick chooses the directory carried by the most mirrors, with the public
// mirrors that do not carry it (to report) and some that do (to toggle).
func pick(d *dataset) (dir, prefix, arch, sha string, absent, present []string) {
	carried := map[string]map[string]bool{}
	for _, f := range d.Freshness {
		if carried[f.Directory] == nil {
			carried[f.Directory] = map[string]bool{}
		}
		carried[f.Directory][f.Mirror] = true
	}
	best := -1
	for i, x := range d.Directories {
		if best < 0 || len(carried[x.Path]) > len(carried[d.Directories[best].Path]) {
			best = i
		}
	}
	dir, sha = d.Directories[best].Path, d.Directories[best].Current.SHA256
	for _, r := range d.Repositories {
		if r.Directory == dir {
			prefix, arch = r.Prefix, r.Arch
		}
	}
	for _, m := range d.Mirrors {
		switch {
		case m.Region != "":
		case carried[dir][m.Name]:
			present = append(present, m.Name)
		default:
			absent = append(absent, m.Name)
		}
	}
	return dir, prefix, arch, sha, absent, present
}

type bench struct {
	base, token, query string
	timeout            time.Duration
	client             http.Client
}

// change sends one admin request and returns how long it took, from just
// before sending, until the metalink lists mirror (want) or stops listing it.
func (b *bench) change(method, path string, body any, mirror string, want bool) (time.Duration, error) {
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, b.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, err
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return 0, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, msg)
	}
	needle := []byte("://" + mirror + "/")
	for time.Since(start) < b.timeout {
		resp, err := b.client.Get(b.base + b.query)
		if err != nil {
			return 0, err
		}
		ans, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, err
		}
		if bytes.Contains(ans, needle) == want {
			return time.Since(start), nil
		}
		time.Sleep(time.Millisecond)
	}
	return 0, fmt.Errorf("%s %s: not visible after %s", method, path, b.timeout)
}

func summarise(kind string, d []time.Duration, errs int) result {
	r := result{Kind: kind, Changes: len(d), Errors: errs}
	if len(d) == 0 {
		return r
	}
	slices.Sort(d)
	at := func(q float64) float64 {
		i := int(q*float64(len(d))+0.5) - 1
		return float64(d[min(max(i, 0), len(d)-1)].Microseconds()) / 1000
	}
	r.P50ms, r.P99ms, r.MaxMs = at(0.50), at(0.99), float64(d[len(d)-1].Microseconds())/1000
	return r
}

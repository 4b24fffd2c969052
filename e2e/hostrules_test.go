package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// hostRulesFile declares two public mirrors, one reachable over IPv4 only
// and one over IPv6 only, a third that serves German clients alone, and
// the admin's overrides that put 192.0.2.0/24 in Germany and
// 198.51.100.0/24 in France.
const hostRulesFile = `mirrors:
  - {name: v4only, country: US, bandwidth: 100, always_up_to_date: true, ipv6: false,
     urls: ["http://v4only.example/pub/fedora/linux"]}
  - {name: v6only, country: US, bandwidth: 100, always_up_to_date: true, ipv4: false,
     urls: ["http://v6only.example/pub/fedora/linux"]}
  - {name: de-only, country: DE, bandwidth: 100, always_up_to_date: true, countries_allowed: [DE],
     urls: ["http://de-only.example/pub/fedora/linux"]}
repositories:
  - {prefix: fedora-41, arch: x86_64, directory: releases/41/Everything/x86_64/os}
netblock_countries:
  - {netblock: 192.0.2.0/24, country: DE}
  - {netblock: 198.51.100.0/24, country: FR}
`

// hostRulesServer imports hostRulesFile with a scanned repomd.xml, then
// serves it from the real binary on listen (a loopback address) with args.
func hostRulesServer(t *testing.T, listen string, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	md := newMetalinkd(t, dir)
	master := filepath.Join(dir, "master")
	repomd := filepath.Join(master, "releases/41/Everything/x86_64/os/repodata/repomd.xml")
	if err := os.MkdirAll(filepath.Dir(repomd), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(repomd, []byte("<repomd><revision>1</revision></repomd>"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "mirrors.yaml")
	if err := os.WriteFile(file, []byte(hostRulesFile), 0o644); err != nil {
		t.Fatal(err)
	}
	md.run(t, "import", file)
	md.run(t, "scan", "--root", master)
	logFile, err := os.Create(md.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(md.bin, append([]string{"serve", "--data-dir", md.dataDir, "--listen", listen}, args...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true")
	p := testpeer.Start(t, cmd)
	url := "http://" + listen
	if err := testpeer.WaitReady(p, 30*time.Second, testpeer.HTTPOK(url+"/healthz")); err != nil {
		t.Fatalf("metalinkd serve on %s: %v\n%s", listen, err, md.serverLog(t))
	}
	return url
}

// freeIPv6Addr returns a [::1] address whose port was free just now, or
// skips (fails under CI=true) when the machine has no IPv6 loopback.
func freeIPv6Addr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		testpeer.Missing(t, fmt.Sprintf("no IPv6 loopback (%v)", err))
	}
	defer l.Close()
	return l.Addr().String()
}

// hosts returns the mirror host names of a metalink's or mirrorlist's URLs,
// in order.
func hosts(body string) []string {
	var out []string
	for _, m := range mirrorHost.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

var mirrorHost = regexp.MustCompile(`http://([a-z0-9-]+)\.example/`)

// TestAddressFamilyOverLoopback: a client connecting over ::1 gets the
// IPv6-capable mirror first and one over 127.0.0.1 the IPv4 one, from the
// real server, in metalinks and mirrorlists; ipv= overrides the family.
func TestAddressFamilyOverLoopback(t *testing.T) {
	v6 := hostRulesServer(t, freeIPv6Addr(t))
	v4 := hostRulesServer(t, testpeer.FreeAddr(t))
	cases := []struct {
		name, base, query, first, second string
	}{
		{"IPv6 client", v6, "", "v6only", "v4only"},
		{"IPv4 client", v4, "", "v4only", "v6only"},
		{"IPv6 client asking for IPv4", v6, "&ipv=4", "v4only", "v6only"},
		{"IPv4 client asking for IPv6", v4, "&ipv=6", "v6only", "v4only"},
	}
	for _, c := range cases {
		for _, path := range []string{"/metalink", "/mirrorlist"} {
			t.Run(c.name+path, func(t *testing.T) {
				status, body, err := httpGet(c.base + path + "?repo=fedora-41&arch=x86_64" + c.query)
				if err != nil || status != http.StatusOK {
					t.Fatalf("%d %v\n%s", status, err, body)
				}
				// de-only serves German clients alone: never listed here.
				got := hosts(body)
				if len(got) != 2 || got[0] != c.first || got[1] != c.second {
					t.Errorf("mirrors %v, want [%s %s]\n%s", got, c.first, c.second, body)
				}
			})
		}
	}
	for _, bad := range []string{"ipv=5", "ipv=", "ipv=ipv6"} {
		if status, body, err := httpGet(v6 + "/mirrorlist?repo=fedora-41&arch=x86_64&" + bad); err != nil || status != http.StatusOK ||
			!strings.Contains(body, "# invalid value of ipv=") {
			t.Errorf("%s: %d %v %q, want 200 with # invalid value of ipv=", bad, status, err, body)
		}
	}
}

// TestCountriesAllowedThroughIPAndProxy: the mirror restricted to German
// clients is listed for an address the admin's override puts in Germany,
// whether named by ip= or forwarded by a trusted proxy, and never for one
// in France or of unknown country.
func TestCountriesAllowedThroughIPAndProxy(t *testing.T) {
	base := hostRulesServer(t, testpeer.FreeAddr(t), "--allow-ip-param", "--trusted-proxy", "127.0.0.1/32")
	get := func(query, forwarded string) []string {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+"/mirrorlist?repo=fedora-41&arch=x86_64"+query, nil)
		if err != nil {
			t.Fatal(err)
		}
		if forwarded != "" {
			req.Header.Set("X-Forwarded-For", forwarded)
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		body := string(b)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d\n%s", query, resp.StatusCode, body)
		}
		return hosts(body)
	}
	cases := []struct {
		name, query, forwarded string
		listed                 bool
	}{
		{"ip= in Germany by the override", "&ip=192.0.2.7", "", true},
		{"ip= in France by the override", "&ip=198.51.100.7", "", false},
		{"forwarded from Germany", "", "192.0.2.9", true},
		{"forwarded from France", "", "198.51.100.9", false},
		{"unknown country (no GeoIP)", "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := get(c.query, c.forwarded)
			listed := strings.Contains(strings.Join(got, " "), "de-only")
			if listed != c.listed {
				t.Errorf("de-only listed %v, want %v: %v", listed, c.listed, got)
			}
			if c.listed && got[0] != "de-only" {
				t.Errorf("de-only should lead (the country step) in %v", got)
			}
		})
	}
}

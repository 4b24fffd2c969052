package mirrorsync

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := "source: /srv/pub\nregions:\n  - region: eu-west-1\n    mirror: aws-eu-west-1\n"
	tests := []struct {
		name  string
		yaml  string
		env   map[string]string
		check func(*testing.T, *config)
		bad   bool
	}{
		{name: "defaults", yaml: base, env: map[string]string{"MIRROR_SYNC_TOKEN_EU_WEST_1": "tok"}, check: func(t *testing.T, c *config) {
			r := c.Regions[0]
			if c.Concurrency != 8 || time.Duration(c.Grace) != 96*time.Hour || r.Bucket != "mirror-eu-west-1" || r.token != "tok" || !r.hasToken() {
				t.Errorf("defaults: %+v %+v", c, r)
			}
		}},
		{name: "token file, days, template", yaml: "source: /srv/pub\ngrace: 2d\nbucket_template: fedora-{region}\nregions:\n  - region: eu-west-1\n    mirror: m\n    prefix: /pub/fedora/\n    token_env: TOK\n",
			env: map[string]string{"TOK_FILE": tokenFile}, check: func(t *testing.T, c *config) {
				r := c.Regions[0]
				if time.Duration(c.Grace) != 48*time.Hour || r.Bucket != "fedora-eu-west-1" || r.Prefix != "pub/fedora" || r.token != "from-file" {
					t.Errorf("got %+v %+v", c, r)
				}
			}},
		{name: "unknown key", yaml: base + "bogus: 1\n", bad: true},
		{name: "no source", yaml: "regions:\n  - region: eu-west-1\n    mirror: m\n", bad: true},
		{name: "no regions", yaml: "source: /srv\n", bad: true},
		{name: "bad region name", yaml: "source: /s\nregions:\n  - region: EU West\n    mirror: m\n", bad: true},
		{name: "region twice", yaml: base + "  - region: eu-west-1\n    mirror: n\n", bad: true},
		{name: "no mirror", yaml: "source: /s\nregions:\n  - region: eu-west-1\n", bad: true},
		{name: "unclean directory", yaml: base + "directories: [/releases/41/]\n", bad: true},
		{name: "bad grace", yaml: base + "grace: soon\n", bad: true},
		{name: "missing token file", yaml: base, env: map[string]string{"MIRROR_SYNC_TOKEN_EU_WEST_1_FILE": "/nonexistent"}, bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(f, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := loadConfig(f, func(k string) string { return tc.env[k] })
			if tc.bad {
				if !errors.Is(err, errConfig) {
					t.Fatalf("loadConfig = %v, want errConfig", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
	if _, err := loadConfig("", func(string) string { return "" }); !errors.Is(err, errConfig) {
		t.Errorf("loadConfig without a file = %v", err)
	}
}

// TestExampleConfig keeps the documented example loadable.
func TestExampleConfig(t *testing.T) {
	c, err := loadConfig("testdata/example.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Regions) != 3 || c.Regions[0].Bucket != "fedora-mirror-us-east-1" || time.Duration(c.Grace) != 96*time.Hour ||
		c.PartConcurrency != 4 || c.MaxConnectionFailures != 10 || time.Duration(c.Deadline) != 8*time.Hour || time.Duration(c.RegionDeadline) != 6*time.Hour {
		t.Errorf("example: %+v", c)
	}
}

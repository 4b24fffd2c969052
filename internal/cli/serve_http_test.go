package cli

import (
	"io"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/server"
)

func TestServeLimitFlags(t *testing.T) {
	env := Env{Getenv: func(string) string { return "" }, Stdout: io.Discard, Stderr: io.Discard}
	c, err := LoadServeConfig(env, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxConns != server.DefaultMaxConns() || c.MaxConnsPerClient != 0 || c.AllowIPParam {
		t.Errorf("defaults: max-conns %d (want %d), per client %d (want 0, off), allow-ip-param %v (want false)",
			c.MaxConns, server.DefaultMaxConns(), c.MaxConnsPerClient, c.AllowIPParam)
	}
	for _, args := range [][]string{
		{"--max-conns", "0"}, {"--max-conns-per-client", "-1"}, {"--write-timeout", "0s"},
		{"--read-timeout", "-1s"}, {"--max-header-bytes", "10"}, {"--max-body-bytes", "-1"},
	} {
		if _, err := LoadServeConfig(env, args); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	r := runCLI(t, nil, "", "serve", "-h")
	for _, flag := range []string{"-max-conns ", "-max-conns-per-client", "-read-timeout", "-write-timeout", "-idle-timeout",
		"-max-header-bytes", "-max-body-bytes", "-allow-ip-param"} {
		if !strings.Contains(r.stdout, flag) {
			t.Errorf("serve -h does not document %s", flag)
		}
	}
}

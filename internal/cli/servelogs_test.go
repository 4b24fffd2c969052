package cli

import (
	"io"
	"testing"
	"time"
)

func TestServeLogAndDrainFlags(t *testing.T) {
	env := Env{Getenv: func(k string) string {
		return map[string]string{"METALINKD_DRAIN": "250ms", "METALINKD_LOG_FILE": "/var/log/metalinkd/server.log"}[k]
	}, Stdout: io.Discard, Stderr: io.Discard}
	c, err := LoadServeConfig(env, []string{"--data-dir", t.TempDir(), "--access-log-file", "/var/log/metalinkd/access.log"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Drain != 250*time.Millisecond || c.LogFile != "/var/log/metalinkd/server.log" || c.AccessLogFile != "/var/log/metalinkd/access.log" {
		t.Errorf("drain %v, log file %q, access log file %q", c.Drain, c.LogFile, c.AccessLogFile)
	}
	c, err = LoadServeConfig(Env{Getenv: func(string) string { return "" }, Stdout: io.Discard, Stderr: io.Discard}, []string{"--data-dir", t.TempDir()})
	if err != nil || c.Drain != 5*time.Second {
		t.Errorf("default drain %v (%v), want 5s", c.Drain, err)
	}
	if _, err := LoadServeConfig(env, []string{"--data-dir", t.TempDir(), "--drain", "-1s"}); err == nil {
		t.Error("a negative --drain was accepted")
	}
}

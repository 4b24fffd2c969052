package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestNewLogger(t *testing.T) {
	tests := []struct {
		format, level string
		tty           bool
		want          string // the start of a record; "" for a usage error
	}{
		{"auto", "info", false, `{"time":`},
		{"auto", "info", true, "time="},
		{"", "info", true, "time="},
		{"JSON", "info", true, `{"time":`},
		{"text", "warn", false, "time="},
		{"xml", "info", false, ""},
		{"json", "loud", false, ""},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		log, err := newLogger(Env{Stderr: &b, TTY: tt.tty}, tt.format, tt.level)
		if tt.want == "" {
			if _, ok := err.(usageError); !ok {
				t.Errorf("newLogger(%q, %q) = %v, want a usage error", tt.format, tt.level, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("newLogger(%q, %q): %v", tt.format, tt.level, err)
		}
		log.Info("below warn")
		log.Error("listening")
		if got := b.String(); !strings.HasPrefix(got, tt.want) {
			t.Errorf("newLogger(%q, %q, tty %v) wrote %q", tt.format, tt.level, tt.tty, got)
		}
		if tt.level == "warn" && strings.Contains(b.String(), "below warn") {
			t.Errorf("level warn logged an info record: %q", b.String())
		}
	}
}

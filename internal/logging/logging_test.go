package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestParseFormat(t *testing.T) {
	tests := []struct {
		name string
		tty  bool
		want Format
		ok   bool
	}{
		{"auto", true, Text, true},
		{"auto", false, JSON, true},
		{"", true, Text, true},
		{"", false, JSON, true},
		{"text", false, Text, true},
		{"JSON", true, JSON, true},
		{"Text", false, Text, true},
		{"logfmt", false, "", false},
	}
	for _, tt := range tests {
		got, ok := ParseFormat(tt.name, tt.tty)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseFormat(%q, %v) = %q, %v; want %q, %v", tt.name, tt.tty, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNew(t *testing.T) {
	var text, js bytes.Buffer
	New(&text, Text, slog.LevelInfo).Info("listening", "addr", "127.0.0.1:8080")
	if got := text.String(); !strings.Contains(got, `level=INFO msg=listening addr=127.0.0.1:8080`) {
		t.Errorf("text record %q", got)
	}
	New(&js, JSON, slog.LevelInfo).Info("listening", "addr", "127.0.0.1:8080")
	var rec map[string]any
	if err := json.Unmarshal(js.Bytes(), &rec); err != nil {
		t.Fatalf("JSON record %q: %v", js.String(), err)
	}
	if rec["msg"] != "listening" || rec["addr"] != "127.0.0.1:8080" || rec["level"] != "INFO" {
		t.Errorf("JSON record %v", rec)
	}
}

func TestNewLevel(t *testing.T) {
	var b bytes.Buffer
	log := New(&b, JSON, slog.LevelWarn)
	log.Info("dropped")
	log.Warn("kept")
	if got := b.String(); strings.Contains(got, "dropped") || !strings.Contains(got, "kept") {
		t.Errorf("at warn level got %q", got)
	}
}

// Package logging builds the slog loggers of the module's programs, so that
// metalinkd, mirror-sync and client-init write their records alike: text for
// a person at a terminal, JSON for a log collector. It links only the
// standard library, as client-init requires.
package logging

import (
	"io"
	"log/slog"
	"strings"
)

// Format is how records are written.
type Format string

// The formats.
const (
	Text Format = "text" // key=value lines, for a terminal
	JSON Format = "json" // one JSON object a line, for a log collector
)

// FormatFor returns Text when the logs go to a terminal and JSON otherwise.
func FormatFor(tty bool) Format {
	if tty {
		return Text
	}
	return JSON
}

// ParseFormat reads a format name: "text", "json", or "auto" (or empty),
// which is FormatFor(tty). Case does not matter. It reports false for any
// other name.
func ParseFormat(name string, tty bool) (Format, bool) {
	switch strings.ToLower(name) {
	case "", "auto":
		return FormatFor(tty), true
	case string(Text):
		return Text, true
	case string(JSON):
		return JSON, true
	}
	return "", false
}

// New returns a logger writing records at level and above to w, as text
// when format is Text and as JSON otherwise.
func New(w io.Writer, format Format, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == Text {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

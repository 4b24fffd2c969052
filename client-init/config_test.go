package clientinit

import (
	"errors"
	"flag"
	"io"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want error // nil, flag.ErrHelp or ErrUsage
	}{
		{"defaults", nil, nil},
		{"help", []string{"-h"}, flag.ErrHelp},
		{"every provider", []string{"--provider", "azure"}, nil},
		{"unknown provider", []string{"--provider", "oracle"}, ErrUsage},
		{"unknown flag", []string{"--region", "us-east-1"}, ErrUsage},
		{"stray argument", []string{"now"}, ErrUsage},
		{"zero timeout", []string{"--timeout", "0s"}, ErrUsage},
		{"endpoint without scheme", []string{"--aws-endpoint", "169.254.169.254"}, ErrUsage},
		{"endpoint of another scheme", []string{"--gcp-endpoint", "ftp://127.0.0.1"}, ErrUsage},
		{"template that does not parse", []string{"--format", "{{"}, ErrUsage},
		{"empty root", []string{"--root", ""}, ErrUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFlags(tt.args, io.Discard)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("ParseFlags(%q) = %v, want %v", tt.args, err, tt.want)
			}
		})
	}
}

func TestParseFlagsDefaults(t *testing.T) {
	cfg, err := ParseFlags([]string{"--aws-endpoint", "http://127.0.0.1:1338/"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Provider != "auto" || cfg.AllowIMDSv1 || cfg.Root != "/" || cfg.Timeout != 1500*time.Millisecond {
		t.Errorf("defaults: %+v", cfg)
	}
	if cfg.AWSEndpoint != "http://127.0.0.1:1338" || cfg.GCPEndpoint != DefaultEndpoint {
		t.Errorf("endpoints: %q %q", cfg.AWSEndpoint, cfg.GCPEndpoint)
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("disk full"), 1},
		{ErrUsage, 2},
		{ErrNoMetadata, 3},
		{badAnswer("aws", "placement/region", errEmpty), 4},
		{absent("gcp", "HTTP 404"), 3},
		{ErrInvalidLocation, 5},
		{ErrNeedsChange, 6},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

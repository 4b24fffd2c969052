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
		want error // nil, flag.ErrHelp or errUsage
	}{
		{"defaults", nil, nil},
		{"help", []string{"-h"}, flag.ErrHelp},
		{"every provider", []string{"--provider", "azure"}, nil},
		{"unknown provider", []string{"--provider", "oracle"}, errUsage},
		{"unknown flag", []string{"--region", "us-east-1"}, errUsage},
		{"stray argument", []string{"now"}, errUsage},
		{"zero timeout", []string{"--timeout", "0s"}, errUsage},
		{"endpoint without scheme", []string{"--aws-endpoint", "169.254.169.254"}, errUsage},
		{"endpoint of another scheme", []string{"--gcp-endpoint", "ftp://127.0.0.1"}, errUsage},
		{"template that does not parse", []string{"--format", "{{"}, errUsage},
		{"empty root", []string{"--root", ""}, errUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(tt.args, io.Discard)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("parseFlags(%q) = %v, want %v", tt.args, err, tt.want)
			}
		})
	}
}

func TestParseFlagsDefaults(t *testing.T) {
	cfg, err := parseFlags([]string{"--aws-endpoint", "http://127.0.0.1:1338/"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Provider != "auto" || cfg.AllowIMDSv1 || cfg.Root != "/" || cfg.Timeout != 1500*time.Millisecond {
		t.Errorf("defaults: %+v", cfg)
	}
	if cfg.AWSEndpoint != "http://127.0.0.1:1338" || cfg.GCPEndpoint != defaultEndpoint {
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
		{errUsage, 2},
		{errNoMetadata, 3},
		{badAnswer("aws", "placement/region", errEmpty), 4},
		{absent("gcp", "HTTP 404"), 3},
		{errInvalidLocation, 5},
		{errNeedsChange, 6},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

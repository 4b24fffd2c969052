package cli

import (
	"io"
	"testing"
)

// TestServeMaxBandwidth pins the bandwidth cap's default (Fedora's 10,000),
// its environment variable and its lower bound.
func TestServeMaxBandwidth(t *testing.T) {
	cases := []struct {
		env  map[string]string
		args []string
		want int // 0: rejected
	}{
		{nil, nil, 10000},
		{nil, []string{"--max-bandwidth", "100000"}, 100000},
		{map[string]string{"METALINKD_MAX_BANDWIDTH": "2500"}, nil, 2500},
		{nil, []string{"--max-bandwidth", "0"}, 0},
	}
	for _, c := range cases {
		env := Env{Getenv: func(k string) string { return c.env[k] }, Stdout: io.Discard, Stderr: io.Discard}
		got, err := LoadServeConfig(env, c.args)
		switch {
		case c.want == 0 && err == nil:
			t.Errorf("%v %v accepted", c.env, c.args)
		case c.want != 0 && (err != nil || got.MaxBandwidth != c.want):
			t.Errorf("%v %v: max bandwidth %d, %v; want %d", c.env, c.args, got.MaxBandwidth, err, c.want)
		}
	}
}

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

// TestServeAnswerReuse pins answer reuse's default (16), its environment
// variable, 0 to turn it off, and the rejection of a negative count.
func TestServeAnswerReuse(t *testing.T) {
	cases := []struct {
		env  map[string]string
		args []string
		want int
		ok   bool
	}{
		{nil, nil, 16, true},
		{nil, []string{"--answer-reuse", "0"}, 0, true},
		{map[string]string{"METALINKD_ANSWER_REUSE": "64"}, nil, 64, true},
		{map[string]string{"METALINKD_ANSWER_REUSE": "64"}, []string{"--answer-reuse", "4"}, 4, true},
		{nil, []string{"--answer-reuse", "-1"}, 0, false},
	}
	for _, c := range cases {
		env := Env{Getenv: func(k string) string { return c.env[k] }, Stdout: io.Discard, Stderr: io.Discard}
		got, err := LoadServeConfig(env, c.args)
		switch {
		case !c.ok && err == nil:
			t.Errorf("%v %v accepted", c.env, c.args)
		case c.ok && (err != nil || got.AnswerReuse != c.want):
			t.Errorf("%v %v: answer reuse %d, %v; want %d", c.env, c.args, got.AnswerReuse, err, c.want)
		}
	}
}

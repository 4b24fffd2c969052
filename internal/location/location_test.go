package location

import (
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	cases := []struct {
		name string
		want bool
	}{
		{"us-east-1", true},
		{"eu-west-1", true},
		{"a", true},
		{"0", true},
		{strings.Repeat("a", MaxLen), true},
		{strings.Repeat("a", MaxLen+1), false},
		{"", false},
		{"$location", false},
		{"US-EAST-1", false},
		{"us_east_1", false},
		{"us east", false},
		{"-us", false},
		{"us-", false},
		{"us-east-1\n", false},
		{"us-east-1&x=1", false},
		{"ünïcode", false},
	}
	for _, c := range cases {
		if got := Valid(c.name); got != c.want {
			t.Errorf("Valid(%q) = %v, want %v", c.name, got, c.want)
		}
	}
}

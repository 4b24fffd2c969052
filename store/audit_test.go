package store

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestAuditDetailCapped(t *testing.T) {
	ctx := context.Background()
	at := time.Unix(1_800_000_000, 0)
	long := strings.Repeat("é", 300) // 600 bytes: the cut must not split a character
	tests := []struct {
		name   string
		detail any
		want   string
	}{
		{"nothing changed", Change{Location{Name: "a"}, Location{Name: "a"}}, ""},
		{"one field", Change{Location{Name: "a"}, Location{Name: "a", Description: "x"}}, `{"description":{"after":"x"}}`},
		{"summary", map[string]int{"mirrors": 3}, `{"mirrors":3}`},
		{"summary named value", map[string]string{"value": "v"}, `{"value":"v"}`},
		{"bare value", 7, `7`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(NewAuditEntry(ctx, at, "a", "t", tt.detail).Detail); got != tt.want {
				t.Errorf("detail %s, want %s", got, tt.want)
			}
		})
	}

	e := NewAuditEntry(ctx, at, "a", "t", Change{After: Location{Name: "a", Description: long}})
	var d map[string]map[string]json.RawMessage
	var got truncated
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		t.Fatalf("%s: %v", e.Detail, err)
	}
	if err := json.Unmarshal(d["description"]["after"], &got); err != nil {
		t.Fatalf("%s: %v", e.Detail, err)
	}
	if !got.Truncated || got.Bytes != len(long)+2 || len(got.Head) > MaxAuditValue || !utf8.ValidString(got.Head) {
		t.Errorf("long description recorded as %+v", got)
	}
}

package server

import (
	"encoding/json"
	"testing"
	"time"
)

func TestAccessLineIsJSON(t *testing.T) {
	e := &accessEntry{at: time.Date(2026, 11, 25, 10, 0, 0, 5, time.UTC), id: "abc-1", method: "GET",
		path: "/metalink", query: "repo=x\"\\\n\x01&arch=\xff\xfe✓", remote: "192.0.2.1:5555",
		status: 200, bytes: 18089, duration: 12345 * time.Nanosecond}
	line := appendAccessLine(nil, e)
	var got map[string]any
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	want := map[string]any{"time": "2026-11-25T10:00:00.000000005Z", "level": "INFO", "msg": "request",
		"request_id": "abc-1", "method": "GET", "path": "/metalink", "query": "repo=x\"\\\n\x01&arch=\ufffd\ufffd✓",
		"remote": "192.0.2.1:5555", "status": float64(200), "bytes": float64(18089), "duration": float64(12345)}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	if line[len(line)-1] != '\n' {
		t.Error("no newline")
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("repo=fedora-41&arch=x86_64")
	f.Add("\x00\"\\\xff\u2028")
	f.Fuzz(func(t *testing.T, s string) {
		var back string
		if err := json.Unmarshal(appendJSONString(nil, s), &back); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
	})
}

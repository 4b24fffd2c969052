package server

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/metalinkd/metalinkd/metalink"
)

func testEntry() *accessEntry {
	return &accessEntry{at: time.Date(2026, 11, 25, 10, 0, 0, 5, time.UTC), id: "abc-1", method: "GET",
		path: "/metalink", query: "repo=x\"\\\n\x01&arch=\xff\xfe✓", client: netip.MustParseAddr("198.51.100.7"),
		peer: "192.0.2.1:5555", userAgent: "libdnf (Fedora Linux 41; generic; Linux.x86_64)",
		firstStep: metalink.StepLocation, location: "us-east-1",
		status: 200, bytes: 18089, duration: 412345 * time.Nanosecond}
}

func jsonLine(t *testing.T, e *accessEntry) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	writeAccessLine(&buf, e, false)
	line := buf.Bytes()
	var got map[string]any
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	if line[len(line)-1] != '\n' || bytes.Count(line, []byte("\n")) != 1 {
		t.Errorf("not one line: %q", line)
	}
	return got
}

func TestAccessLineIsJSON(t *testing.T) {
	got := jsonLine(t, testEntry())
	want := map[string]any{"time": "2026-11-25T10:00:00.000000005Z", "level": "INFO", "msg": "request",
		"request_id": "abc-1", "method": "GET", "path": "/metalink", "query": "repo=x\"\\\n\x01&arch=\ufffd\ufffd✓",
		"client": "198.51.100.7", "peer": "192.0.2.1:5555", "user_agent": "libdnf (Fedora Linux 41; generic; Linux.x86_64)",
		"status": float64(200), "bytes": float64(18089), "duration_ms": 0.412, "first_step": "location",
		"location": "us-east-1"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("keys %v, want those of %v", got, want)
	}
}

func TestAccessLinePeerOnlyWhenOther(t *testing.T) {
	e := testEntry()
	e.peer = "198.51.100.7:40000"
	if got := jsonLine(t, e); got["peer"] != nil {
		t.Errorf("peer %v written although it is the client", got["peer"])
	}
	var buf bytes.Buffer
	writeAccessLine(&buf, e, true)
	if strings.Contains(buf.String(), "peer=") {
		t.Errorf("text line has a peer although it is the client: %s", buf.String())
	}
}

func TestAccessLineText(t *testing.T) {
	e := testEntry()
	e.query = "repo=fedora-41&arch=x86_64"
	var buf bytes.Buffer
	writeAccessLine(&buf, e, true)
	want := `time=2026-11-25T10:00:00.000Z level=INFO msg=request request_id=abc-1 method=GET path=/metalink ` +
		`query="repo=fedora-41&arch=x86_64" client=198.51.100.7 peer=192.0.2.1:5555 ` +
		`user_agent="libdnf (Fedora Linux 41; generic; Linux.x86_64)" status=200 bytes=18089 duration_ms=0.412 ` +
		"first_step=location location=us-east-1\n"
	if got := buf.String(); got != want {
		t.Errorf("text line\n got %s\nwant %s", got, want)
	}
	e.query, e.firstStep, e.location, e.userAgent = "a=\"b c\"\n", metalink.StepNone, "", ""
	buf.Reset()
	writeAccessLine(&buf, e, true)
	for _, part := range []string{` query="a=\"b c\"\n" `, ` user_agent="" `, ` first_step="" location=""` + "\n"} {
		if !strings.Contains(buf.String(), part) {
			t.Errorf("text line lacks %q: %s", part, buf.String())
		}
	}
}

// TestAccessLineRedactsTokens covers finding L5: a credential in the query
// string never reaches the log.
func TestAccessLineRedactsTokens(t *testing.T) {
	cases := []struct{ query, want string }{
		{"token=s3cr3t", "token=REDACTED"},
		{"repo=x&access_token=s3cr3t&arch=y", "repo=x&access_token=REDACTED&arch=y"},
		{"Access_Token=s3cr3t", "Access_Token=REDACTED"},
		{"tok%65n=s3cr3t", "tok%65n=REDACTED"},
		{"token=s3cr3t&token=s3cr3t", "token=REDACTED&token=REDACTED"},
		{"tokens=kept&mytoken=kept", "tokens=kept&mytoken=kept"},
		{"", ""},
	}
	for _, c := range cases {
		e := testEntry()
		e.query = c.query
		if got := jsonLine(t, e)["query"]; got != c.want {
			t.Errorf("json query %q = %q, want %q", c.query, got, c.want)
		}
		var buf bytes.Buffer
		writeAccessLine(&buf, e, true)
		if strings.Contains(buf.String(), "s3cr3t") {
			t.Errorf("text line of %q leaks the token: %s", c.query, buf.String())
		}
	}
}

func TestAccessLineBoundsWhatClientsSend(t *testing.T) {
	e := testEntry()
	e.userAgent = strings.Repeat("é", 1000)
	e.location = strings.Repeat("x", 1000)
	e.path = "/" + strings.Repeat("p", 5000)
	e.query = strings.Repeat("q", 5000) + "&token=s3cr3t"
	got := jsonLine(t, e)
	for key, max := range map[string]int{"user_agent": maxUserAgentLog, "location": maxLocationLog, "path": maxPathLog, "query": maxQueryLog} {
		s, _ := got[key].(string)
		if !strings.HasSuffix(s, "…") || len(s) > max+len("…") {
			t.Errorf("%s: %d bytes, want at most %d and a trailing …", key, len(s), max)
		}
	}
	var buf bytes.Buffer
	writeAccessLine(&buf, e, true)
	if buf.Len() > 2048 {
		t.Errorf("text line of %d bytes", buf.Len())
	}
}

func TestAppendMillis(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0.000", 412345 * time.Nanosecond: "0.412",
		1500 * time.Millisecond: "1500.000", 999: "0.000", time.Microsecond: "0.001"} {
		if got := string(appendMillis(nil, d)); got != want {
			t.Errorf("%v: %s, want %s", d, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("repo=fedora-41&arch=x86_64", 0)
	f.Add("\x00\"\\\xff\u2028", 3)
	f.Add("ééé", 2)
	f.Fuzz(func(t *testing.T, s string, max int) {
		var back string
		if err := json.Unmarshal(appendJSONString(nil, s, max%600), &back); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
	})
}

// FuzzAppendTextValue: a text value is one token, bare or a quoted string
// that reads back as the value.
func FuzzAppendTextValue(f *testing.F) {
	f.Add("repo=fedora-41&arch=x86_64")
	f.Add("libdnf (Fedora Linux 41)")
	f.Add("\x00\"\\\xff\u2028é")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		got := string(appendTextValue(nil, s, 0))
		if strings.HasPrefix(got, `"`) {
			back, err := strconv.Unquote(got)
			if err != nil || (utf8.ValidString(s) && back != s) {
				t.Fatalf("%q written as %s: %q, %v", s, got, back, err)
			}
			return
		}
		if got != s || s == "" || strings.ContainsAny(s, " =\"\n") {
			t.Fatalf("%q written bare as %s", s, got)
		}
	})
}

// TestAppendLogTime checks the access log's time against the layouts it
// stands for, across zones, fractions with trailing zeros and none, and a
// second that changes between two lines.
func TestAppendLogTime(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("CET", 3600), time.FixedZone("NST", -(3*3600 + 1800)), time.Local}
	nanos := []int{0, 5, 120_000_000, 123_456_789, 999_999_999, 100, 1_000}
	base := time.Date(2026, 11, 30, 23, 59, 59, 0, time.UTC)
	for _, loc := range zones {
		for i, ns := range nanos {
			// Alternate seconds, so that the cached second changes.
			at := base.Add(time.Duration(i%2) * time.Second).Add(time.Duration(ns)).In(loc)
			if got, want := string(appendLogTime(nil, at, false)), at.Format(time.RFC3339Nano); got != want {
				t.Errorf("%v: %q, want %q", at, got, want)
			}
			if got, want := string(appendLogTime(nil, at, true)), at.Format("2006-01-02T15:04:05.000Z07:00"); got != want {
				t.Errorf("%v (milliseconds): %q, want %q", at, got, want)
			}
		}
	}
	far := time.Date(12026, 1, 2, 3, 4, 5, 6, time.UTC)
	if got, want := string(appendLogTime(nil, far, false)), far.Format(time.RFC3339Nano); got != want {
		t.Errorf("year 12026: %q, want %q", got, want)
	}
}

// TestMayHoldSecret checks the quick test for a credential against its
// definition: "token" in any letter case, or a percent sign.
func TestMayHoldSecret(t *testing.T) {
	want := func(q string) bool { return strings.Contains(strings.ToLower(q), "token") || strings.Contains(q, "%") }
	cases := []string{"", "token", "TOKEN", "ToKeN=1", "xtoken", "tokenx", "tok", "oken", "k", "kkkk", "tokken",
		"repo=fedora-41&arch=x86_64&countme=1", "a=b&access_token=s", "kt0ken", "tokentoken", "%", "ab%41", "toke", "k=token"}
	for range 2000 {
		b := make([]byte, rand.IntN(12))
		for i := range b {
			b[i] = "tokenTOKEN%k=&"[rand.IntN(14)]
		}
		cases = append(cases, string(b))
	}
	for _, q := range cases {
		if got := mayHoldSecret(q); got != want(q) {
			t.Errorf("mayHoldSecret(%q) = %v, want %v", q, got, want(q))
		}
	}
}

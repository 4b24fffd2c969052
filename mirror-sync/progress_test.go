package mirrorsync

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-runewidth"
)

// TestProgressBars renders two regions' bars at 80 columns through mpb's
// own output options: every line fits, and each names its region, its
// objects and bytes, and a rate.
func TestProgressBars(t *testing.T) {
	var out bytes.Buffer
	refresh := make(chan any)
	p := newBarProgress(&out, 80, refresh)
	p.plan("us-east-1", 5, 300<<20)
	p.plan("ap-southeast-2", 1234, 12<<30)
	p.sent("us-east-1", 100<<20)
	p.done("us-east-1")
	// Bytes of a multipart upload count as they are read, before the
	// file is done.
	p.sent("ap-southeast-2", 1<<30)
	refresh <- time.Now()
	p.finish()
	lines := map[string]string{}
	for _, l := range strings.Split(ansi.ReplaceAllString(out.String(), ""), "\n") {
		if w := runewidth.StringWidth(l); w > 80 {
			t.Errorf("line of %d columns: %q", w, l)
		}
		for _, r := range []string{"us-east-1", "ap-southeast-2"} {
			if strings.HasPrefix(strings.TrimSpace(l), r+" ") {
				lines[r] = l
			}
		}
	}
	t.Logf("at 80 columns:\n%s", ansi.ReplaceAllString(out.String(), ""))
	for r, want := range map[string]string{"us-east-1": "1/5 obj 100.0 MiB/300.0 MiB", "ap-southeast-2": "0/1234 obj 1.0 GiB/12.0 GiB"} {
		if !strings.Contains(lines[r], want) || !strings.Contains(lines[r], "/s") {
			t.Errorf("%s: bar %q, want %q and a rate\n%s", r, lines[r], want, out.String())
		}
	}
}

// ansi matches the terminal control sequences mpb writes.
var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// TestProgressLines checks the periodic lines written when stderr is not
// a terminal: one per region with objects, bytes, rate and estimate.
func TestProgressLines(t *testing.T) {
	var logs bytes.Buffer
	p := newProgress(io.Discard, false, slog.New(slog.NewJSONHandler(&logs, nil)), time.Hour)
	p.plan("eu-west-1", 2, 2048)
	p.sent("eu-west-1", 1024)
	p.done("eu-west-1")
	p.logLines()
	first := logs.String()
	for _, want := range []string{`"msg":"progress","region":"eu-west-1","objects_done":1,"objects":2,"bytes_done":1024,"bytes":2048,"rate":"`, `"eta":"`} {
		if !strings.Contains(first, want) {
			t.Errorf("progress line %s lacks %s", first, want)
		}
	}
	p.finish()
	if !strings.Contains(strings.TrimPrefix(logs.String(), first), `"objects_done":1`) {
		t.Errorf("no final line: %s", logs.String())
	}
	var none *progress
	none.plan("x", 1, 1)
	none.sent("x", 1)
	none.done("x")
	none.finish()
}

// TestCountingBody counts each byte once, however often the body is
// rewound and read again, through Read and ReadAt alike.
func TestCountingBody(t *testing.T) {
	var n int64
	c := &countingBody{body: bytes.NewReader(make([]byte, 100)), add: func(k int64) { n += k }}
	buf := make([]byte, 60)
	_, _ = c.Read(buf)
	_, _ = c.Seek(0, io.SeekStart)
	_, _ = io.Copy(io.Discard, c)
	_, _ = c.ReadAt(buf[:10], 90)
	if n != 100 {
		t.Errorf("counted %d bytes of 100", n)
	}
}

// TestPutChecksumIsChecked has the gateway refuse a PUT whose content does
// not match the x-amz-checksum-sha256 sent with it.
func TestPutChecksumIsChecked(t *testing.T) {
	e := newSyncEnv(t)
	cfg, err := loadConfig(e.writeConfig(), e.getenv)
	if err != nil {
		t.Fatal(err)
	}
	b, err := newBucket(context.Background(), cfg, &cfg.Regions[0])
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = b.put(ctx, "x/file", bytes.NewReader([]byte("actual")), 6, map[string]string{"sha256": sha256Hex([]byte("claimed"))}, "", nil)
	if err == nil {
		t.Fatal("a PUT with a wrong checksum was stored")
	}
	if _, err := b.get(ctx, "x/file"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after the refused PUT: %v", err)
	}
}

// TestProgressBarGrows: a bar whose bytes reach the total planned so far
// goes on when the next directory adds to it, and the final frame shows
// every object done.
func TestProgressBarGrows(t *testing.T) {
	var out bytes.Buffer
	refresh := make(chan any)
	p := newBarProgress(&out, 80, refresh)
	p.plan("us-east-1", 1, 1<<20)
	p.sent("us-east-1", 1<<20)
	p.done("us-east-1")
	if p.region("us-east-1").bar.Completed() {
		t.Error("the bar completed when its bytes reached the first directory's total")
	}
	refresh <- time.Now()
	p.plan("us-east-1", 2, 3<<20)
	p.sent("us-east-1", 3<<20)
	p.done("us-east-1")
	p.done("us-east-1")
	p.finish()
	frames := strings.Split(ansi.ReplaceAllString(out.String(), ""), "\n")
	var last string
	for _, f := range frames {
		if strings.HasPrefix(f, "us-east-1") {
			last = f
		}
	}
	if !strings.Contains(last, "3/3 obj 4.0 MiB/4.0 MiB") {
		t.Errorf("last frame %q, want 3/3 obj 4.0 MiB/4.0 MiB\n%s", last, out.String())
	}
}

package mirrorsync

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestBar(t *testing.T) {
	tests := []struct {
		done, total int64
		want        string
	}{
		{0, 10, "[----]"}, {5, 10, "[##--]"}, {10, 10, "[####]"}, {12, 10, "[####]"}, {0, 0, "[####]"},
	}
	for _, tc := range tests {
		if got := bar(tc.done, tc.total, 4); got != tc.want {
			t.Errorf("bar(%d, %d) = %q, want %q", tc.done, tc.total, got, tc.want)
		}
	}
}

func TestProgress(t *testing.T) {
	var tty bytes.Buffer
	p := newProgress(&tty, true, nil)
	p.interval = 0
	p.plan("us-east-1", 2, 2048)
	p.add("us-east-1", 1024)
	p.finish()
	if out := tty.String(); !strings.Contains(out, "\rus-east-1 [##########----------] 1/2 files 1.0 KiB/2.0 KiB") || !strings.HasSuffix(out, "\n") {
		t.Errorf("terminal progress: %q", out)
	}
	var logs bytes.Buffer
	p = newProgress(io.Discard, false, slog.New(slog.NewJSONHandler(&logs, nil)))
	p.plan("eu-west-1", 1, 10)
	p.add("eu-west-1", 10)
	p.finish()
	if !strings.Contains(logs.String(), `"msg":"progress","region":"eu-west-1","files_done":1,"files":1,"bytes_done":10,"bytes":10`) {
		t.Errorf("log progress: %s", logs.String())
	}
	var none *progress
	none.plan("x", 1, 1)
	none.add("x", 1)
	none.finish()
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
	_, err = b.put(ctx, "x/file", bytes.NewReader([]byte("actual")), 6, map[string]string{"sha256": sha256Hex([]byte("claimed"))}, "")
	if err == nil {
		t.Fatal("a PUT with a wrong checksum was stored")
	}
	if _, err := b.get(ctx, "x/file"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after the refused PUT: %v", err)
	}
}

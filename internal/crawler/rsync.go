package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// maxListing bounds an rsync listing's output: only directories and
// repomd.xml files are listed, so this is far above a real tree's.
const maxListing = 64 << 20

// checkRsync lists every repomd.xml below the directories' common parent
// with one rsync run and compares each with the directory's current
// repomd and alternates by size and modification time.
func (mc *mirrorCrawl) checkRsync(base string, dirs []store.Directory) []dirResult {
	res := make([]dirResult, len(dirs))
	prefix := commonParent(dirs)
	src := base + "/"
	if prefix != "" {
		src = base + "/" + prefix + "/"
	}
	entries, reason, detail := mc.listRsync(src)
	if reason != "" {
		for i := range dirs {
			res[i] = dirResult{done: true, reason: reason, obs: store.Observation{Directory: dirs[i].Path, Status: store.SeenError, Detail: detail}}
		}
		return res
	}
	files := make(map[string]Entry, len(entries))
	for _, e := range entries {
		if e.Type == '-' {
			files[e.Name] = e
		}
	}
	for i := range dirs {
		rel := strings.TrimPrefix(strings.TrimPrefix(dirs[i].Path, prefix), "/")
		res[i] = judgeListed(&dirs[i], files, path.Join(rel, "repodata/repomd.xml"))
	}
	return res
}

// judgeListed compares one listed repomd.xml with the directory's versions.
func judgeListed(d *store.Directory, files map[string]Entry, name string) dirResult {
	r := dirResult{done: true, obs: store.Observation{Directory: d.Path}}
	e, ok := files[name]
	if !ok {
		r.obs.Status, r.obs.Detail = store.SeenMissing, "not in the rsync listing"
		return r
	}
	var sameSize, same *store.Repomd
	for _, m := range append([]store.Repomd{d.Current}, d.Alternates...) {
		if m.Size != e.Size {
			continue
		}
		if sameSize == nil {
			sameSize = &m
		}
		if m.Timestamp == e.ModTime.Unix() {
			same = &m
			break
		}
	}
	switch {
	case same != nil:
		r.obs.Status, r.obs.SHA256 = store.SeenOK, same.SHA256
	case sameSize != nil:
		r.obs.Status, r.recheck = store.SeenOther, true
		r.obs.Detail = fmt.Sprintf("size %d matches, modification time %s does not", e.Size, e.ModTime.UTC().Format(time.RFC3339))
	default:
		r.obs.Status = store.SeenOther
		r.obs.Detail = fmt.Sprintf("size %d", e.Size)
	}
	return r
}

// commonParent returns the longest directory path all dirs are equal to or under.
func commonParent(dirs []store.Directory) string {
	if len(dirs) == 0 {
		return ""
	}
	parts := strings.Split(dirs[0].Path, "/")
	for _, d := range dirs[1:] {
		p := strings.Split(d.Path, "/")
		n := 0
		for n < len(parts) && n < len(p) && parts[n] == p[n] {
			n++
		}
		parts = parts[:n]
	}
	return strings.Join(parts, "/")
}

// listRsync runs the rsync client's listing of src: directories and
// repomd.xml files only. A failure comes back as a store.Reason* and a
// detail.
func (mc *mirrorCrawl) listRsync(src string) (entries []Entry, reason, detail string) {
	secs := strconv.Itoa(max(1, int(mc.c.cfg.Timeout.Seconds())))
	cmd := exec.CommandContext(mc.ctx, mc.c.cfg.Rsync, "--list-only", "--recursive", "--no-motd", "--no-human-readable",
		"--timeout="+secs, "--contimeout="+secs,
		"--include=*/", "--include=repomd.xml", "--exclude=*", "--prune-empty-dirs", src)
	// The listing's times are printed in the client's zone: UTC.
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C")
	cmd.WaitDelay = time.Second
	var stdout, stderr limitedBuffer
	stdout.max, stderr.max = maxListing, 64<<10
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if stdout.over {
		return nil, store.ReasonWrongContent, fmt.Sprintf("rsync listing over %d bytes", maxListing)
	}
	if err != nil {
		var ee *exec.ExitError
		code := -1
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		msg := lastLine(stderr.String())
		switch {
		case mc.ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
			return nil, store.ReasonTimeout, "rsync: " + mc.ctx.Err().Error()
		case strings.Contains(msg, "Connection refused") || strings.Contains(stderr.String(), "Connection refused"):
			return nil, store.ReasonRefused, "rsync: connection refused"
		case code == 30 || code == 35:
			return nil, store.ReasonTimeout, "rsync: " + msg
		case code == 23 || code == 24:
			// Part of the tree could not be listed (such as a missing
			// directory): what was listed stands, the rest is missing.
		default:
			return nil, store.ReasonError, fmt.Sprintf("rsync exit %d: %s", code, msg)
		}
	}
	entries, perr := ParseListing(bytes.NewReader(stdout.Bytes()))
	if perr != nil {
		return nil, store.ReasonWrongContent, perr.Error()
	}
	return entries, "", ""
}

// lastLine returns the daemon's @ERROR line of s, else its last non-empty line.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "@ERROR") {
			return strings.TrimSpace(l)
		}
	}
	return strings.TrimSpace(lines[len(lines)-1])
}

// limitedBuffer keeps at most max bytes and notes that more came.
type limitedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); len(p) > room {
		b.over = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

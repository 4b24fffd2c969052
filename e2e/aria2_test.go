package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// aria2Result is what one aria2c run left behind.
type aria2Result struct {
	file string // the downloaded file (repomd.xml, unless told otherwise)
	log  string
}

// runAria2 lets aria2c follow the metalink at url (in memory: aria2 does so
// only when the answer is served as application/metalink+xml) and download
// the file it describes, one connection at a time.
func runAria2(t *testing.T, url string) aria2Result {
	t.Helper()
	return runAria2For(t, url, "repomd.xml")
}

// runAria2For is runAria2 for a metalink describing the file name.
func runAria2For(t *testing.T, url, name string) aria2Result {
	t.Helper()
	res, out, err := tryAria2(t, url, name)
	if err != nil {
		t.Fatalf("aria2c %s: %v\n%s\nlog:\n%s", url, err, out, res.log)
	}
	return res
}

// tryAria2 runs aria2c as runAria2For does and returns its error and output
// rather than failing the test.
func tryAria2(t *testing.T, url, name string) (aria2Result, []byte, error) {
	t.Helper()
	requireTools(t, "aria2c")
	dir := t.TempDir()
	dest, logPath := filepath.Join(dir, "download"), filepath.Join(dir, "aria2.log")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "aria2c", "--no-conf", "--follow-metalink=mem",
		// Every loopback mirror shares the host 127.0.0.1; by default aria2
		// would keep only one URL per host.
		"--metalink-enable-unique-protocol=false",
		"--split=1", "--max-connection-per-server=1", "--max-tries=1",
		"--allow-overwrite=true", "--auto-file-renaming=false",
		"--summary-interval=0", "--console-log-level=warn",
		"--log="+logPath, "--log-level=info", "--dir="+dest, url)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LANG=C.UTF-8"}
	out, err := cmd.CombinedOutput()
	res := aria2Result{file: filepath.Join(dest, name)}
	if b, err := os.ReadFile(logPath); err == nil {
		res.log = string(b)
	}
	return res, out, err
}

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// librepoScript fetches a yum repository's repomd.xml and primary through a
// metalink or mirrorlist URL with librepo's Python bindings, and prints what
// librepo reports as JSON. Arguments: metalink|mirrorlist, URL, destination
// directory, log file.
const librepoScript = `
import json, sys, librepo
kind, url, dest, log = sys.argv[1:5]
librepo.log_set_file(log)
h = librepo.Handle()
h.repotype = librepo.LR_YUMREPO
setattr(h, kind + "url", url)
h.destdir = dest
h.yumdlist = ["primary"]
r = librepo.Result()
try:
    h.perform(r)
except librepo.LibrepoException as e:
    print(json.dumps({"error": str(e)}))
    sys.exit(1)
repo = r.getinfo(librepo.LRR_YUM_REPO)
print(json.dumps({"repomd": repo.get("repomd"), "primary": repo.get("primary"), "mirrors": h.mirrors}))
`

// librepoResult is what librepoScript printed and logged.
type librepoResult struct {
	Error   string   `json:"error"`
	Repomd  string   `json:"repomd"`  // local path of the downloaded repomd.xml
	Primary string   `json:"primary"` // local path of the downloaded primary
	Mirrors []string `json:"mirrors"` // the mirror list librepo built, in its order
	log     string
}

// runLibrepo fetches the repository behind url (kind "metalink" or
// "mirrorlist") into a fresh directory.
func runLibrepo(t *testing.T, kind, url string) librepoResult {
	t.Helper()
	requireTools(t, "librepo")
	dir := t.TempDir()
	dest, logPath := filepath.Join(dir, "repo"), filepath.Join(dir, "librepo.log")
	if err := os.Mkdir(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, pythonBin, "-c", librepoScript, kind, url, dest, logPath)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LANG=C.UTF-8"}
	out, runErr := cmd.Output()
	var res librepoResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("librepo script: %v (%v)\n%s", err, runErr, out)
	}
	if b, err := os.ReadFile(logPath); err == nil {
		res.log = string(b)
	}
	if res.Error != "" || runErr != nil {
		t.Fatalf("librepo failed: %s (%v)\nlog:\n%s", res.Error, runErr, res.log)
	}
	return res
}

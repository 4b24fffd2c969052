package clientinit

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// result is what one in-process run of the command left behind.
type result struct {
	code   int
	log    string
	stdout string
}

// runInProcess parses args and runs the detection as the command does,
// returning the exit code the command would have.
func runInProcess(t *testing.T, args ...string) result {
	t.Helper()
	var log, stdout bytes.Buffer
	cfg, err := parseFlags(args, &log)
	if err == nil {
		err = run(context.Background(), cfg, slog.New(slog.NewTextHandler(&log, nil)), &stdout)
	}
	res := result{code: exitCode(err), log: log.String(), stdout: stdout.String()}
	t.Logf("client-init %q: exit %d\n%s", args, res.code, res.log)
	return res
}

// closedEndpoint returns a loopback URL where nothing listens, standing for
// a cloud whose metadata service is not there.
func closedEndpoint(t *testing.T) string {
	return "http://" + testpeer.FreeAddr(t)
}

// withEndpoints returns the flags pointing each cloud at its endpoint.
func withEndpoints(aws, gcp, azure string, more ...string) []string {
	return append([]string{"--aws-endpoint", aws, "--gcp-endpoint", gcp, "--azure-endpoint", azure}, more...)
}

// absentFile is what readVars reports for a location file that is missing.
const absentFile = "<absent>"

// readVars returns the content of each location file under root.
func readVars(t *testing.T, root string) []string {
	t.Helper()
	var got []string
	for _, path := range varsPaths(root) {
		b, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			got = append(got, absentFile)
		case err != nil:
			t.Fatal(err)
		default:
			got = append(got, string(b))
		}
	}
	return got
}

// seedVars writes content into every location file under root, as an
// earlier boot would have.
func seedVars(t *testing.T, root, content string) {
	t.Helper()
	for _, path := range varsPaths(root) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// wantVars fails t unless every location file under root holds want.
func wantVars(t *testing.T, root, want string) {
	t.Helper()
	for i, got := range readVars(t, root) {
		if got != want {
			t.Errorf("%s = %q, want %q", varsPaths(root)[i], got, want)
		}
	}
}

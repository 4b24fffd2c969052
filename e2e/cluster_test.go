package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// cluster is a throwaway PostgreSQL cluster in a temporary directory with
// its own port and socket directory, which a test may stop and start: the
// machine's shared server is never touched.
type cluster struct {
	bin  string // directory of initdb and pg_ctl
	dir  string // holds the data directory, the socket and the log
	port int
	// owner runs a PostgreSQL program as the cluster's owner: initdb
	// refuses to run as root.
	owner func(prog string, args ...string) *exec.Cmd
	// frozen are the pids freeze stopped, postmaster first.
	frozen []int
}

// newCluster initialises a cluster; it is stopped and removed when t ends.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	c := &cluster{bin: postgresBin(t)}
	uid, gid := -1, -1
	c.owner = func(prog string, args ...string) *exec.Cmd {
		return exec.Command(filepath.Join(c.bin, prog), args...)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			testpeer.Missing(t, fmt.Sprintf("running as root, a throwaway cluster needs the postgres user: %v", err))
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		c.owner = asPostgres(t, c.bin)
	}
	dir, err := os.MkdirTemp("", "metalinkd-outage-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if uid >= 0 {
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	c.run(t, "initdb", "-D", c.data(), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync")
	_, port, _ := net.SplitHostPort(testpeer.FreeAddr(t))
	if c.port, err = strconv.Atoi(port); err != nil {
		t.Fatal(err)
	}
	// Registered after the removal, so it runs before it.
	t.Cleanup(func() {
		c.owner("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop").Run()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(c.dir, "postgres.log"))
			t.Logf("log of the throwaway cluster:\n%s", b)
		}
	})
	return c
}

// postgresBin finds the directory holding initdb and pg_ctl.
func postgresBin(t *testing.T) string {
	t.Helper()
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if p, err := exec.LookPath("initdb"); err == nil {
		found = append(found, p)
	}
	sort.Strings(found)
	for i := len(found) - 1; i >= 0; i-- {
		bin := filepath.Dir(found[i])
		if _, err := os.Stat(filepath.Join(bin, "pg_ctl")); err == nil {
			return bin
		}
	}
	testpeer.Missing(t, "initdb and pg_ctl not found in /usr/lib/postgresql/*/bin or $PATH (Debian: apt-get install postgresql)")
	return ""
}

// asPostgres returns a runner of PostgreSQL programs as the postgres user,
// through runuser, else su.
func asPostgres(t *testing.T, bin string) func(string, ...string) *exec.Cmd {
	t.Helper()
	if runuser, err := exec.LookPath("runuser"); err == nil {
		return func(prog string, args ...string) *exec.Cmd {
			return exec.Command(runuser, append([]string{"-u", "postgres", "--", filepath.Join(bin, prog)}, args...)...)
		}
	}
	if su, err := exec.LookPath("su"); err == nil {
		return func(prog string, args ...string) *exec.Cmd {
			words := []string{quote(filepath.Join(bin, prog))}
			for _, a := range args {
				words = append(words, quote(a))
			}
			return exec.Command(su, "postgres", "-s", "/bin/sh", "-c", strings.Join(words, " "))
		}
	}
	testpeer.Missing(t, "running as root, a throwaway cluster needs runuser or su to run initdb as postgres")
	return nil
}

// quote makes s one word for sh.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (c *cluster) data() string { return filepath.Join(c.dir, "data") }

// url is the connection URL of the cluster's postgres database.
func (c *cluster) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// start starts the server and waits until it accepts connections.
func (c *cluster) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", c.port, c.dir)
	c.run(t, "pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "postgres.log"), "-o", opts, "-w", "-t", "60", "start")
}

// stop stops the server with the given shutdown mode and waits for it.
func (c *cluster) stop(t *testing.T, mode string) {
	t.Helper()
	c.run(t, "pg_ctl", "-D", c.data(), "-m", mode, "-w", "stop")
}

func (c *cluster) run(t *testing.T, prog string, args ...string) {
	t.Helper()
	cmd := c.owner(prog, args...)
	// The test's working directory may be closed to the postgres user.
	cmd.Dir = c.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", prog, args, err, out)
	}
}

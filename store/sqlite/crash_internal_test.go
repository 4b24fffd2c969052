package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

// crashDataset has mirrors, directories and freshness for each pair, with
// names that say which dataset a row came from.
func crashDataset(tag string, mirrors, dirs int) *store.Dataset {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	sha := strings.Repeat("ab", 32)
	d := &store.Dataset{}
	for i := range mirrors {
		name := fmt.Sprintf("%s-%d.example.org", tag, i)
		d.Mirrors = append(d.Mirrors, store.Mirror{Name: name, Country: "DE", Bandwidth: 100, Enabled: true,
			URLs: []string{"https://" + name + "/pub"}})
	}
	for j := range dirs {
		d.Directories = append(d.Directories, store.Directory{Path: fmt.Sprintf("pub/%s/%d/os", tag, j),
			Current: store.Repomd{Size: 1, Timestamp: 1, SHA256: sha, Recorded: at}})
	}
	for _, m := range d.Mirrors {
		for _, dir := range d.Directories {
			d.Freshness = append(d.Freshness, store.Freshness{Mirror: m.Name, Directory: dir.Path, SHA256: sha, Reported: at})
		}
	}
	return d
}

// TestMain runs the tests, or, in the process TestCrashDuringRestore
// starts, only the restore that test kills.
func TestMain(m *testing.M) {
	if dir := os.Getenv("METALINKD_CRASH_DIR"); dir != "" {
		if err := restoreForCrash(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// restoreForCrash restores a large dataset over the one in dir, saying
// when it starts and when it is done.
func restoreForCrash(dir string) error {
	ctx := context.Background()
	s, err := Open(ctx, dir)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Println("restoring")
	if err := s.Restore(ctx, crashDataset("new", 400, 500)); err != nil {
		return err
	}
	fmt.Println("restored")
	return nil
}

// A restore drops the freshness table's index and triggers while it
// writes the rows: a process killed in the middle of it (here, while the
// rows go to the write-ahead log) must leave the previous dataset, whole,
// with its schema.
func TestCrashDuringRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200,000 rows")
	}
	dir := t.TempDir()
	old := crashDataset("old", 3, 4)
	s, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(t.Context(), old); err != nil {
		t.Fatal(err)
	}
	s.Close()

	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "METALINKD_CRASH_DIR="+dir, "AWS_EC2_METADATA_DISABLED=true")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	for lines.Scan() && lines.Text() != "restoring" {
	}
	// The rows reach the write-ahead log when the page cache spills or the
	// transaction commits: kill the process as soon as they start to.
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if fi, err := os.Stat(filepath.Join(dir, FileName+"-wal")); err == nil && fi.Size() > 1<<20 {
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	finished := false
	for lines.Scan() {
		finished = finished || lines.Text() == "restored"
	}
	cmd.Wait()
	if finished {
		t.Skip("the restore finished before the kill; nothing to check")
	}

	s, err = Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var check string
	if err := s.writer.QueryRowContext(t.Context(), `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check after the crash: %q, %v", check, err)
	}
	got, err := s.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	old.Normalize()
	if len(got.Mirrors) != len(old.Mirrors) || len(got.Directories) != len(old.Directories) ||
		len(got.Freshness) != len(old.Freshness) || got.Mirrors[0].Name != old.Mirrors[0].Name {
		t.Errorf("after a crash mid-restore: %d mirrors (first %q), %d directories, %d freshness rows; want the previous %d, %d, %d",
			len(got.Mirrors), got.Mirrors[0].Name, len(got.Directories), len(got.Freshness),
			len(old.Mirrors), len(old.Directories), len(old.Freshness))
	}
	var objects int
	err = s.writer.QueryRowContext(t.Context(),
		`SELECT count(*) FROM sqlite_schema WHERE tbl_name = 'freshness' AND type IN ('index', 'trigger') AND sql IS NOT NULL`).Scan(&objects)
	if err != nil || objects != 4 {
		t.Errorf("freshness index and triggers after the crash: %d, %v; want 4", objects, err)
	}
}

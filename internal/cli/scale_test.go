package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/mirrorsfile"
	"github.com/metalinkd/metalinkd/store"
)

// scaleDataset returns a network of n mirrors and n directories in which
// every mirror reports every directory: n×n freshness rows.
func scaleDataset(n int) *store.Dataset {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	d := &store.Dataset{}
	for i := range n {
		name := fmt.Sprintf("mirror-%04d.example.org", i)
		d.Mirrors = append(d.Mirrors, store.Mirror{Name: name, Country: "DE", Bandwidth: 100, Enabled: true,
			URLs: []string{"https://" + name + "/pub"}, Netblocks: []string{fmt.Sprintf("10.%d.%d.0/24", i>>8, i&0xff)}})
		path := fmt.Sprintf("pub/fedora/linux/updates/%d/Everything/x86_64", i)
		sum := sha256.Sum256([]byte(path))
		d.Directories = append(d.Directories, store.Directory{Path: path,
			Current: store.Repomd{Size: int64(i), Timestamp: t0.Unix(), SHA256: hex.EncodeToString(sum[:]), Recorded: t0}})
		d.Repositories = append(d.Repositories, store.Repository{Prefix: fmt.Sprintf("updates-%d", i), Arch: "x86_64", Directory: path})
	}
	for _, m := range d.Mirrors {
		for j, dir := range d.Directories {
			d.Freshness = append(d.Freshness, store.Freshness{Mirror: m.Name, Directory: dir.Path,
				SHA256: dir.Current.SHA256, Reported: t0.Add(time.Duration(j) * time.Microsecond)})
		}
	}
	d.Normalize()
	return d
}

func writeFile(t *testing.T, f mirrorsfile.Format, d *store.Dataset) string {
	t.Helper()
	var b bytes.Buffer
	if err := mirrorsfile.Write(&b, f, d, true, nil); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// storeEnvs are the stores the data commands are tested on; PostgreSQL
// skips when no server is reachable (and fails when CI=true).
var storeEnvs = []struct {
	name string
	env  func(t *testing.T) map[string]string
}{
	{"embedded", func(t *testing.T) map[string]string { return map[string]string{"METALINKD_DATA_DIR": t.TempDir()} }},
	{"postgres", func(t *testing.T) map[string]string {
		return map[string]string{"DATABASE_URL": pg.NewDatabase(t, true)}
	}},
}

// TestExportImportRoundTripAtScale moves a network of 300 mirrors × 300
// directories (90,000 freshness rows) through export and import, as JSON
// and as YAML, and checks that nothing is lost or changed.
func TestExportImportRoundTripAtScale(t *testing.T) {
	want := scaleDataset(300)
	for _, kind := range storeEnvs {
		t.Run(kind.name, func(t *testing.T) {
			env := kind.env(t)
			if r := runCLI(t, env, writeFile(t, mirrorsfile.JSON, want), "import", "--replace", "-"); r.code != ExitOK {
				t.Fatalf("import: %+v", r)
			}
			exported := runCLI(t, env, "", "export", "--format", "json")
			if exported.code != ExitOK {
				t.Fatalf("export: %d %s", exported.code, exported.stderr)
			}
			f, err := mirrorsfile.Parse(strings.NewReader(exported.stdout))
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Dataset.Freshness) != 90000 || len(f.Dataset.Mirrors) != 300 || !f.Complete {
				t.Fatalf("exported %d mirrors, %d freshness rows", len(f.Dataset.Mirrors), len(f.Dataset.Freshness))
			}
			if exported.stdout != writeFile(t, mirrorsfile.JSON, want) {
				t.Error("the export differs from the file imported")
			}
			// Importing what the store holds writes nothing, not even to the audit log.
			before := auditLength(t, env)
			if r := runCLI(t, env, exported.stdout, "import", "--replace", "-"); r.code != ExitOK || !strings.Contains(r.stdout, "summary: no changes") {
				t.Fatalf("re-import: %+v", r.stderr)
			}
			if after := auditLength(t, env); after != before {
				t.Errorf("a re-import without changes wrote %d audit entries", after-before)
			}
			yaml := runCLI(t, env, "", "export")
			for _, file := range []string{exported.stdout, yaml.stdout} {
				other := map[string]string{"METALINKD_DATA_DIR": t.TempDir()}
				if r := runCLI(t, other, file, "import", "--replace", "-"); r.code != ExitOK {
					t.Fatalf("import of the export: %+v", r.stderr)
				}
				if again := runCLI(t, other, "", "export", "--format", "json"); again.stdout != exported.stdout {
					t.Errorf("export after import of the export differs (%d bytes, want %d)", len(again.stdout), len(exported.stdout))
				}
			}
		})
	}
}

// TestImportFreshnessOnly loads freshness in bulk from a file with only
// freshness rows, and refuses the whole file for one bad row.
func TestImportFreshnessOnly(t *testing.T) {
	for _, kind := range storeEnvs {
		t.Run(kind.name, func(t *testing.T) {
			env := kind.env(t)
			base := scaleDataset(20)
			rows := base.Freshness
			base.Freshness = nil
			if r := runCLI(t, env, writeFile(t, mirrorsfile.JSON, base), "import", "--replace", "-"); r.code != ExitOK {
				t.Fatalf("import: %+v", r)
			}
			bad := append([]store.Freshness(nil), rows...)
			bad[len(bad)-1].SHA256 = strings.Repeat("0", 64) // neither current nor an alternate
			for _, file := range []string{writeFile(t, mirrorsfile.JSON, &store.Dataset{Freshness: bad}),
				writeFile(t, mirrorsfile.YAML, &store.Dataset{Freshness: bad})} {
				if r := runCLI(t, env, file, "import", "-"); r.code == ExitOK {
					t.Fatalf("a bad row was accepted: %+v", r)
				}
			}
			if r := runCLI(t, env, "", "export", "--format", "json"); strings.Contains(r.stdout, `"freshness"`) {
				t.Fatal("a refused bulk load left rows behind")
			}
			r := runCLI(t, env, writeFile(t, mirrorsfile.JSON, &store.Dataset{Freshness: rows}), "import", "-")
			if r.code != ExitOK || !strings.Contains(r.stdout, "recorded 400 freshness reports") {
				t.Fatalf("bulk load: %+v", r)
			}
			base.Freshness = rows
			if got := runCLI(t, env, "", "export", "--format", "json"); got.stdout != writeFile(t, mirrorsfile.JSON, base) {
				t.Error("the store does not hold the rows loaded")
			}
		})
	}
}

// auditLength returns how many audit entries the store of env holds.
func auditLength(t *testing.T, env map[string]string) int {
	t.Helper()
	st := openTestStore(t, env)
	log, err := st.ListAudit(t.Context(), 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(log)
}

// TestImportRefusesBadRowAnywhere imports an export with one bad freshness
// row, in the middle or last, and wants an error naming the row and the
// store as it was.
func TestImportRefusesBadRowAnywhere(t *testing.T) {
	good := scaleDataset(30) // 900 freshness rows
	file := writeFile(t, mirrorsfile.JSON, good)
	middle := good.Freshness[450]
	middleRow := fmt.Sprintf(`"mirror":%q,"directory":%q`, middle.Mirror, middle.Directory)
	if !strings.Contains(file, middleRow) {
		t.Fatalf("the export does not write a row as %s", middleRow)
	}
	last := good.Freshness[len(good.Freshness)-1]
	lastRow := fmt.Sprintf(`"mirror":%q,"directory":%q,"sha256":%q`, last.Mirror, last.Directory, last.SHA256)
	for _, tt := range []struct {
		name, file, want string
	}{
		{"upper-case sha256 in the last row", strings.Replace(file, lastRow, strings.Replace(lastRow, last.SHA256, strings.ToUpper(last.SHA256), 1), 1),
			"freshness[899].sha256"},
		{"unknown field in a middle row", strings.Replace(file, middleRow, middleRow+`,"colour":"red"`, 1), `row 450: json: unknown field "colour"`},
		{"a middle row cut short", strings.Replace(file, middleRow, `"mirror":"`, 1), "row 450"},
		{"a middle row twice", strings.Replace(file, "{"+middleRow, "{"+middleRow+`,"sha256":"`+middle.SHA256+`","reported":"`+
			middle.Reported.Format(time.RFC3339Nano)+`"},{`+middleRow, 1), "duplicate of freshness[450]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.file == file {
				t.Fatal("the bad row was not written into the file")
			}
			for _, kind := range storeEnvs {
				t.Run(kind.name, func(t *testing.T) {
					env := kind.env(t)
					if r := runCLI(t, env, file, "import", "--replace", "-"); r.code != ExitOK {
						t.Fatalf("import: %+v", r)
					}
					r := runCLI(t, env, tt.file, "import", "--replace", "-")
					if r.code == ExitOK || !strings.Contains(r.stderr, tt.want) {
						t.Errorf("import of a file with a bad row: exit %d, stderr %q; want an error naming %q", r.code, r.stderr, tt.want)
					}
					if got := runCLI(t, env, "", "export", "--format", "json"); got.stdout != file {
						t.Error("a refused import changed the store")
					}
				})
			}
		})
	}
}

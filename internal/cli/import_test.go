package cli

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/postgres"
	"github.com/metalinkd/metalinkd/store/sqlite"
)

// importBase is the mirrors file every import test starts from.
const importBase = `locations:
  - name: us-east-1
mirrors:
  - name: a
    country: DE
    bandwidth: 100
    always_up_to_date: true
    urls: [http://a.example/pub]
  - name: b
    country: FR
    bandwidth: 100
    urls: [http://b.example/pub]
redirects:
  - {from: fedora-rawhide, to: rawhide}
`

// importChanged is importBase with b changed and c added.
var importChanged = strings.Replace(importBase, `    bandwidth: 100
    urls: [http://b.example/pub]
`, `    bandwidth: 200
    urls: [http://b.example/fedora]
  - name: c
    country: US
    bandwidth: 10
    urls: [http://c.example/pub]
`, 1)

// importBackends gives each import test a fresh embedded store and a fresh
// migrated PostgreSQL database.
var importBackends = []struct {
	name string
	env  func(t *testing.T) map[string]string
}{
	{"embedded", func(t *testing.T) map[string]string { return map[string]string{"METALINKD_DATA_DIR": t.TempDir()} }},
	{"postgres", func(t *testing.T) map[string]string {
		return map[string]string{"DATABASE_URL": pg.NewDatabase(t, true)}
	}},
}

// openTestStore opens the store an environment names, as the admin API
// server would, to change it behind the mirrors file's back.
func openTestStore(t *testing.T, env map[string]string) store.Store {
	t.Helper()
	var st store.Store
	var err error
	if u := env["DATABASE_URL"]; u != "" {
		st, err = postgres.Open(context.Background(), u)
	} else {
		st, err = sqlite.Open(context.Background(), env["METALINKD_DATA_DIR"])
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// addMirrors adds mirrors as the admin API does.
func addMirrors(t *testing.T, st store.Store, names ...string) {
	t.Helper()
	for _, n := range names {
		m := store.Mirror{Name: n, Country: "NL", Bandwidth: 10, Enabled: true, URLs: []string{"http://" + n + ".example/pub"}}
		if err := st.CreateMirror(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
}

func mirrorNames(t *testing.T, st store.Store) []string {
	t.Helper()
	d, err := st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range d.Mirrors {
		names = append(names, m.Name)
	}
	slices.Sort(names)
	return names
}

// TestImportRefusesRemovals runs import against a store holding
// importBase, a scan of one directory and a mirror added through the store
// ("admin-added"), as the admin API leaves it.
func TestImportRefusesRemovals(t *testing.T) {
	master := t.TempDir()
	writeRepomd(t, master, "releases/41/Everything/x86_64/os", "1")
	tests := []struct {
		name string
		// prepare runs after the setup; it returns the file to import.
		prepare   func(t *testing.T, st store.Store, env map[string]string) string
		args      []string
		wantCode  int
		unchanged bool     // the export after equals the export before
		wantOut   []string // in standard output, in this order
		wantErr   []string
		mirrors   []string // the stored mirrors afterwards, when not unchanged
	}{{
		name:      "dry run prints the diff and changes nothing",
		args:      []string{"--dry-run"},
		wantCode:  ExitOK,
		unchanged: true,
		wantOut: []string{"+ mirror c\n", "- mirror admin-added\n", "~ mirror b: bandwidth, urls\n",
			"dry run: would add 1, remove 1, change 1 (mirrors +1 -1 ~1); nothing was changed\n",
			"note: without --replace or --merge"},
	}, {
		name:      "a mirror the file lacks is refused",
		wantCode:  ExitUsage,
		unchanged: true,
		wantErr:   []string{"refused", "1 entry the file lacks", "mirror admin-added;", "--replace", "--merge"},
	}, {
		name:     "--merge keeps it and applies the file",
		args:     []string{"--merge"},
		wantCode: ExitOK,
		wantOut: []string{"imported 3 mirrors, 1 locations, 0 repositories, 1 redirects\n", "+ mirror c\n",
			"~ mirror b: bandwidth, urls\n", "summary: added 1, removed 0, changed 1 (mirrors +1 ~1)\n"},
		mirrors: []string{"a", "admin-added", "b", "c"},
	}, {
		name:     "--replace removes it",
		args:     []string{"--replace"},
		wantCode: ExitOK,
		wantOut:  []string{"- mirror admin-added\n", "summary: added 1, removed 1, changed 1 (mirrors +1 -1 ~1)\n"},
		mirrors:  []string{"a", "b", "c"},
	}, {
		name:      "--merge with --replace is a usage error",
		args:      []string{"--merge", "--replace"},
		wantCode:  ExitUsage,
		unchanged: true,
		wantErr:   []string{"--replace and --merge exclude each other"},
	}, {
		name: "the first few are named",
		prepare: func(t *testing.T, st store.Store, _ map[string]string) string {
			addMirrors(t, st, "admin-1", "admin-2", "admin-3", "admin-4", "admin-5", "admin-6")
			return importChanged
		},
		wantCode:  ExitUsage,
		unchanged: true,
		wantErr:   []string{"7 entries", "mirror admin-1, mirror admin-2, mirror admin-3, mirror admin-4, mirror admin-5 and 2 more;"},
	}, {
		name: "scanned repositories the file lacks are not removed",
		prepare: func(t *testing.T, st store.Store, _ map[string]string) string {
			if err := st.DeleteMirror(context.Background(), "admin-added"); err != nil {
				t.Fatal(err)
			}
			return importBase
		},
		wantCode: ExitOK,
		wantOut:  []string{"imported 2 mirrors", "summary: no changes\n"},
		mirrors:  []string{"a", "b"},
	}, {
		name: "an export re-imported into a store with more is refused",
		prepare: func(t *testing.T, st store.Store, env map[string]string) string {
			exp := runCLI(t, env, "", "export")
			addMirrors(t, st, "later")
			return exp.stdout
		},
		wantCode:  ExitUsage,
		unchanged: true,
		wantErr:   []string{"mirror later;", "--replace"},
	}, {
		name: "an export dry run lists it",
		prepare: func(t *testing.T, st store.Store, env map[string]string) string {
			exp := runCLI(t, env, "", "export")
			addMirrors(t, st, "later")
			return exp.stdout
		},
		args:      []string{"--dry-run"},
		wantCode:  ExitOK,
		unchanged: true,
		wantOut:   []string{"- mirror later\n", "dry run: would add 0, remove 1, change 0 (mirrors -1)"},
	}, {
		name: "an export with --replace restores it",
		prepare: func(t *testing.T, st store.Store, env map[string]string) string {
			exp := runCLI(t, env, "", "export")
			addMirrors(t, st, "later")
			return exp.stdout
		},
		args:     []string{"--replace"},
		wantCode: ExitOK,
		mirrors:  []string{"a", "admin-added", "b"},
	}, {
		name: "an export with --merge keeps what came later",
		prepare: func(t *testing.T, st store.Store, env map[string]string) string {
			exp := runCLI(t, env, "", "export")
			addMirrors(t, st, "later")
			return exp.stdout
		},
		args:     []string{"--merge"},
		wantCode: ExitOK,
		wantOut:  []string{"summary: no changes\n"},
		mirrors:  []string{"a", "admin-added", "b", "later"},
	}, {
		name: "an invalid merge changes nothing",
		prepare: func(t *testing.T, st store.Store, _ map[string]string) string {
			if err := st.CreateRedirect(context.Background(), store.Redirect{From: "fedora-46", To: "fedora-45"}); err != nil {
				t.Fatal(err)
			}
			return importChanged + "  - {from: fedora-45, to: rawhide}\n"
		},
		args:      []string{"--merge"},
		wantCode:  ExitError,
		unchanged: true,
		wantErr:   []string{"the file merged with the store: invalid data"},
	}}
	for _, b := range importBackends {
		for _, tt := range tests {
			t.Run(b.name+"/"+tt.name, func(t *testing.T) {
				env := b.env(t)
				for _, args := range [][]string{{"import", "-"}, {"scan", "--root", master}} {
					if r := runCLI(t, env, importBase, args...); r.code != ExitOK {
						t.Fatalf("%v: %+v", args, r)
					}
				}
				st := openTestStore(t, env)
				addMirrors(t, st, "admin-added")
				file := importChanged
				if tt.prepare != nil {
					file = tt.prepare(t, st, env)
				}
				before := runCLI(t, env, "", "export")
				r := runCLI(t, env, file, append(append([]string{"import"}, tt.args...), "-")...)
				if r.code != tt.wantCode {
					t.Fatalf("exit code %d, want %d: %+v", r.code, tt.wantCode, r)
				}
				checkInOrder(t, "stdout", r.stdout, tt.wantOut)
				checkInOrder(t, "stderr", r.stderr, tt.wantErr)
				after := runCLI(t, env, "", "export")
				if tt.unchanged && after.stdout != before.stdout {
					t.Errorf("the store changed:\n--- before\n%s\n--- after\n%s", before.stdout, after.stdout)
				}
				if tt.mirrors != nil && !slices.Equal(mirrorNames(t, st), tt.mirrors) {
					t.Errorf("mirrors %v, want %v", mirrorNames(t, st), tt.mirrors)
				}
				if !strings.Contains(after.stdout, "prefix: fedora-41") {
					t.Errorf("the scanned repository is gone:\n%s", after.stdout)
				}
			})
		}
	}
}

// checkInOrder checks that out holds each of want, one after the other.
func checkInOrder(t *testing.T, name, out string, want []string) {
	t.Helper()
	rest := out
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("%s lacks %q (in order):\n%s", name, w, out)
			return
		}
		rest = rest[i+len(w):]
	}
}

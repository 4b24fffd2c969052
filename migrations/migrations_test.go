package migrations

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestEmbeddedMigrationsParse(t *testing.T) {
	ms, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || Latest() != len(ms) {
		t.Fatalf("Latest() = %d with %d migrations", Latest(), len(ms))
	}
	for _, m := range ms {
		if strings.TrimSpace(m.SQL) == "" {
			t.Errorf("%s is empty", m.Name)
		}
	}
}

func TestParseRejectsBadSequences(t *testing.T) {
	file := &fstest.MapFile{Data: []byte("SELECT 1;")}
	tests := []struct {
		name  string
		files fstest.MapFS
	}{
		{"gap", fstest.MapFS{"0001_a.sql": file, "0003_c.sql": file}},
		{"duplicate", fstest.MapFS{"0001_a.sql": file, "0001_b.sql": file}},
		{"no number", fstest.MapFS{"init.sql": file}},
		{"zero", fstest.MapFS{"0000_a.sql": file}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ms, err := parse(tt.files); err == nil {
				t.Errorf("parse accepted %v", ms)
			}
		})
	}
}

func TestParseOrdersByNumber(t *testing.T) {
	file := &fstest.MapFile{Data: []byte("SELECT 1;")}
	ms, err := parse(fstest.MapFS{"10_j.sql": file, "9_i.sql": file, "1_a.sql": file, "2_b.sql": file,
		"3_c.sql": file, "4_d.sql": file, "5_e.sql": file, "6_f.sql": file, "7_g.sql": file, "8_h.sql": file})
	if err != nil {
		t.Fatal(err)
	}
	if ms[8].Name != "9_i.sql" || ms[9].Name != "10_j.sql" {
		t.Errorf("order: %s, %s", ms[8].Name, ms[9].Name)
	}
}

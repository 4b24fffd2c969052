package yamlpos

import (
	"testing"

	"gopkg.in/yaml.v3"
)

func TestLines(t *testing.T) {
	doc := `mirrors:
  - name: a
    urls:
      - https://a.example
      - http://a.example
  - name: b
regions: []
`
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &root); err != nil {
		t.Fatal(err)
	}
	lines := Lines(&root)
	tests := []struct {
		field string
		want  int
	}{
		{"mirrors", 1},
		{"mirrors[0]", 2},
		{"mirrors[0].name", 2},
		{"mirrors[0].urls", 3},
		{"mirrors[0].urls[1]", 5},
		{"mirrors[1].name", 6},
		{"mirrors[1].bandwidth", 6}, // not written: its entry's line
		{"regions", 7},
		{"nothing", 0},
	}
	for _, tt := range tests {
		if got := LineOf(lines, tt.field); got != tt.want {
			t.Errorf("LineOf(%q) = %d, want %d", tt.field, got, tt.want)
		}
	}
	if len(Lines(nil)) != 0 {
		t.Error("Lines(nil) is not empty")
	}
}

// Package yamlpos finds where a field of a YAML document was written, so
// that an error about "mirrors[2].urls[0]" can name its line. The mirrors
// file and mirror-sync's configuration both report errors this way.
package yamlpos

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Lines maps the field paths of the document under root, such as
// "mirrors[2].urls[0]", to the lines they start on: a mapping entry's key
// line, a sequence item's own line.
func Lines(root *yaml.Node) map[string]int {
	lines := map[string]int{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if path != "" {
			if _, ok := lines[path]; !ok {
				lines[path] = n.Line
			}
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				key := n.Content[i].Value
				if path != "" {
					key = path + "." + key
				}
				lines[key] = n.Content[i].Line
				walk(n.Content[i+1], key)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	if root != nil {
		walk(root, "")
	}
	return lines
}

// LineOf returns the line of field, or of its nearest enclosing entry when
// the field itself was not written (a missing key), or 0.
func LineOf(lines map[string]int, field string) int {
	for field != "" {
		if l, ok := lines[field]; ok {
			return l
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			break
		}
		field = field[:i]
	}
	return 0
}

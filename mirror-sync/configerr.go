package mirrorsync

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/metalinkd/metalinkd/internal/yamlpos"
	"gopkg.in/yaml.v3"
)

// usageError is a configuration or usage error: it matches errConfig
// without repeating that word in its message.
type usageError struct{ msg string }

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == errConfig }

// configError formats a configuration or usage error (exit code 2).
func configError(format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...)}
}

// fieldErr is a validation error of one field, named by its path in the
// file ("regions[1].bucket").
type fieldErr struct {
	Field string
	Msg   string
}

func (e *fieldErr) Error() string        { return e.Field + ": " + e.Msg }
func (e *fieldErr) Is(target error) bool { return target == errConfig }

func fieldError(field, format string, a ...any) error {
	return &fieldErr{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// withLine prefixes a validation error with the line of its field in raw.
func withLine(file string, raw []byte, err error) error {
	var fe *fieldErr
	if !errors.As(err, &fe) {
		return err
	}
	if line := yamlpos.LineOf(lineIndex(raw), fe.Field); line > 0 {
		return configError("config %s line %d: %s", file, line, fe)
	}
	return configError("config %s: %s", file, fe)
}

var (
	yamlLine     = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownField = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
	badType      = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (\\S+)$")
)

// yamlError turns a decoder error into one line per problem that names the
// line and the field, and no Go type.
func yamlError(file string, raw []byte, err error) error {
	if errors.Is(err, io.EOF) {
		return configError("config %s: empty", file)
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return configError("config %s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	paths := pathsByLine(lineIndex(raw))
	var msgs []string
	for _, e := range te.Errors {
		m := yamlLine.FindStringSubmatch(e)
		if m == nil {
			msgs = append(msgs, fmt.Sprintf("config %s: %s", file, e))
			continue
		}
		line, _ := strconv.Atoi(m[1])
		msg := m[2]
		if f := unknownField.FindStringSubmatch(msg); f != nil {
			msg = fmt.Sprintf("unknown field %q", f[1])
		} else if f := badType.FindStringSubmatch(msg); f != nil {
			msg = fmt.Sprintf("%q is not %s", f[2], typeWord(f[3]))
		}
		if p := paths[line]; p != "" && !strings.HasPrefix(msg, "unknown field") {
			msg = p + ": " + msg
		}
		msgs = append(msgs, fmt.Sprintf("config %s line %d: %s", file, line, msg))
	}
	return configError("%s", strings.Join(msgs, "; "))
}

// typeWord names a Go type in the file's words.
func typeWord(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int") || strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case goType == "string":
		return "a string"
	}
	return "a mapping"
}

// lineIndex maps field paths such as "regions[2].bucket" to lines of raw.
func lineIndex(raw []byte) map[string]int {
	var root yaml.Node
	if yaml.Unmarshal(raw, &root) != nil {
		return map[string]int{}
	}
	return yamlpos.Lines(&root)
}

// pathsByLine inverts lineIndex, keeping the longest path of each line.
func pathsByLine(lines map[string]int) map[int]string {
	out := map[int]string{}
	for p, l := range lines {
		if len(p) > len(out[l]) {
			out[l] = p
		}
	}
	return out
}

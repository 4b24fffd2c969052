package mirrorsfile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/metalinkd/metalinkd/store"
)

// freshnessReader reads a JSON file's freshness list without
// encoding/json's reflection and double scan of each row: half a million
// rows are most of a large network's file and, through encoding/json,
// most of the time its import took to read. Each row is cut out of the
// stream at its closing brace; a row as export writes it (known fields,
// plain ASCII strings) is read directly, and any other (an escape, a
// number, an unknown field) goes through encoding/json, which decides
// and words the error as it always did.
type freshnessReader struct {
	r   *bufio.Reader
	row []byte // the row being cut out, when it spans reads
}

// readList reads the list that follows a "freshness" key (": [...]") and
// calls add for each row. null is an empty list.
func (fr *freshnessReader) readList(add func(store.Freshness)) error {
	if err := fr.expect(':'); err != nil {
		return err
	}
	c, err := fr.next()
	if err != nil {
		return err
	}
	if c == 'n' {
		return fr.literal("ull")
	}
	if c != '[' {
		return fmt.Errorf("want a list, got %q", c)
	}
	for i := 0; ; i++ {
		c, err := fr.next()
		if err != nil {
			return err
		}
		if c == ']' && i == 0 {
			return nil
		}
		if i > 0 {
			switch c {
			case ']':
				return nil
			case ',':
				if c, err = fr.next(); err != nil {
					return err
				}
			default:
				return fmt.Errorf("row %d: want ',' or ']' after a row, got %q", i, c)
			}
		}
		if c == 'n' { // null: a row of nothing, as encoding/json reads it
			if err := fr.literal("ull"); err != nil {
				return fmt.Errorf("row %d: %w", i, err)
			}
			add(store.Freshness{})
			continue
		}
		if c != '{' {
			return fmt.Errorf("row %d: want an object, got %q", i, c)
		}
		row, err := fr.object()
		if err != nil {
			return fmt.Errorf("row %d: %w", i, err)
		}
		var f store.Freshness
		if !decodePlainFreshness(row, &f) {
			dec := json.NewDecoder(bytes.NewReader(row))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&f); err != nil {
				return fmt.Errorf("row %d: %w", i, err)
			}
		}
		add(f)
	}
}

// next returns the next byte that is not white space.
func (fr *freshnessReader) next() (byte, error) {
	for {
		c, err := fr.r.ReadByte()
		if err != nil {
			return 0, unexpectedEOF(err)
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c, nil
		}
	}
}

func (fr *freshnessReader) expect(want byte) error {
	c, err := fr.next()
	if err == nil && c != want {
		err = fmt.Errorf("want %q, got %q", want, c)
	}
	return err
}

func (fr *freshnessReader) literal(rest string) error {
	for i := range len(rest) {
		c, err := fr.r.ReadByte()
		if err != nil {
			return unexpectedEOF(err)
		}
		if c != rest[i] {
			return fmt.Errorf("invalid character %q in a literal", c)
		}
	}
	return nil
}

// object returns the object whose '{' was just read, up to its matching
// '}'. It only finds the end: whoever decodes the row checks the rest.
// The slice is valid until the next call.
func (fr *freshnessReader) object() ([]byte, error) {
	fr.row = append(fr.row[:0], '{')
	depth, inString, escaped := 1, false, false
	for {
		buf, err := fr.r.Peek(max(fr.r.Buffered(), 1))
		if len(buf) == 0 {
			return nil, unexpectedEOF(err)
		}
		for i, c := range buf {
			switch {
			case escaped:
				escaped = false
			case inString:
				switch c {
				case '\\':
					escaped = true
				case '"':
					inString = false
				}
			case c == '"':
				inString = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
				if depth == 0 {
					fr.row = append(fr.row, buf[:i+1]...)
					_, err := fr.r.Discard(i + 1)
					return fr.row, err
				}
			}
		}
		fr.row = append(fr.row, buf...)
		if _, err := fr.r.Discard(len(buf)); err != nil {
			return nil, err
		}
	}
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// decodePlainFreshness decodes b into f and reports true when b is an
// object of known fields, each at most once, with values that are plain
// printable ASCII strings: what encoding/json would decode the same way.
func decodePlainFreshness(b []byte, f *store.Freshness) bool {
	i := skipSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		return false
	}
	var seen [5]bool
	for first := true; ; first = false {
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == '}' && first {
			break
		}
		key, next, ok := plainString(b, i)
		if !ok {
			return false
		}
		i = skipSpace(b, next)
		if i == len(b) || b[i] != ':' {
			return false
		}
		value, next, ok := plainString(b, skipSpace(b, i+1))
		if !ok {
			return false
		}
		field := -1
		switch string(key) {
		case "mirror":
			field, f.Mirror = 0, string(value)
		case "directory":
			field, f.Directory = 1, string(value)
		case "sha256":
			field, f.SHA256 = 2, string(value)
		case "reported":
			field = 3
			if f.Reported.UnmarshalText(value) != nil {
				return false
			}
		case "source":
			field, f.Source = 4, string(value)
		}
		if field < 0 || seen[field] {
			return false
		}
		seen[field] = true
		i = skipSpace(b, next)
		if i == len(b) {
			return false
		}
		if b[i] == '}' {
			break
		}
		if b[i] != ',' {
			return false
		}
	}
	return skipSpace(b, i+1) == len(b)
}

// plainString returns the contents of the JSON string at b[i], if it holds
// only printable ASCII without escapes, and the index after it.
func plainString(b []byte, i int) (s []byte, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, 0, false
		}
	}
	return nil, 0, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

package crawler

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Entry is one line of an rsync --list-only listing.
type Entry struct {
	Name    string
	Size    int64
	ModTime time.Time
	// Type is the first character of the permissions: '-' a regular
	// file, 'd' a directory, 'l' a symbolic link.
	Type byte
}

// maxListingLine bounds one line of a listing (a path of 4096 bytes, each
// escaped, and the fields before it).
const maxListingLine = 4*4096 + 256

// ParseListing reads the output of rsync --list-only --no-human-readable
// run with TZ=UTC: "PERMS SIZE YYYY/MM/DD HH:MM:SS NAME" per line. Names
// keep rsync's \#ooo escapes decoded; a symbolic link's " -> target" is
// dropped. A line of another shape is an error naming its number.
func ParseListing(r io.Reader) ([]Entry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxListingLine)
	var out []Entry
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		e, err := parseListingLine(line)
		if err != nil {
			return nil, fmt.Errorf("rsync listing line %d: %w", n, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("rsync listing: %w", err)
	}
	return out, nil
}

func parseListingLine(line string) (Entry, error) {
	var fields [4]string
	rest := line
	for i := range fields {
		rest = strings.TrimLeft(rest, " ")
		j := strings.IndexByte(rest, ' ')
		if j <= 0 {
			return Entry{}, fmt.Errorf("%q: want permissions, size, date, time and name", clip(line))
		}
		fields[i], rest = rest[:j], rest[j+1:]
	}
	perms := fields[0]
	if len(perms) != 10 || !strings.ContainsRune("-dlcbps", rune(perms[0])) {
		return Entry{}, fmt.Errorf("%q is not a permission string", clip(perms))
	}
	size, err := strconv.ParseInt(strings.ReplaceAll(fields[1], ",", ""), 10, 64)
	if err != nil || size < 0 {
		return Entry{}, fmt.Errorf("%q is not a size", clip(fields[1]))
	}
	// rsync prints exactly "YYYY/MM/DD hh:mm:ss"; the lengths keep out what
	// time.Parse would also take (a one-digit hour, a fraction of a second).
	mtime, err := time.ParseInLocation("2006/01/02 15:04:05", fields[2]+" "+fields[3], time.UTC)
	if err != nil || len(fields[2]) != len("2006/01/02") || len(fields[3]) != len("15:04:05") {
		return Entry{}, fmt.Errorf("%q is not a date and time", clip(fields[2]+" "+fields[3]))
	}
	name := rest
	if perms[0] == 'l' {
		if i := strings.Index(name, " -> "); i >= 0 {
			name = name[:i]
		}
	}
	name, err = unescapeName(name)
	if err != nil {
		return Entry{}, err
	}
	if name == "" {
		return Entry{}, fmt.Errorf("%q has no name", clip(line))
	}
	return Entry{Name: name, Size: size, ModTime: mtime, Type: perms[0]}, nil
}

// unescapeName decodes rsync's \#ooo escapes of unprintable bytes.
func unescapeName(s string) (string, error) {
	if !strings.Contains(s, `\#`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.HasPrefix(s[i:], `\#`) && i+5 <= len(s) {
			v, err := strconv.ParseUint(s[i+2:i+5], 8, 8)
			if err != nil {
				return "", fmt.Errorf("%q: bad escape", clip(s))
			}
			b.WriteByte(byte(v))
			i += 4
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String(), nil
}

// clip shortens network input quoted in an error.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

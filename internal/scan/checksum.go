package scan

import (
	"bytes"
	"strings"
)

// maxChecksumSize bounds the CHECKSUM files read; Fedora's are a few KB.
const maxChecksumSize = 1 << 20

// ParseChecksum reads a CHECKSUM file as Fedora publishes them next to its
// images and returns the sha256 of each file it names (base names, hashes
// in lower case). It takes BSD-style lines, `SHA256 (name) = hex`, as
// Fedora writes them, and GNU coreutils' `hex  name` (or `hex *name`), in
// a PGP clear-signed message or not: only the signed text is read, with
// its dash-escaping undone (the signature itself is not verified: the scan
// trusts the master tree it reads). Comments, other algorithms and lines
// it does not understand are skipped; a name with a '/' or a control
// character is refused, since it must name a file of the same directory.
func ParseChecksum(b []byte) map[string]string {
	out := map[string]string{}
	signed := false
	inHeader := false
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte("\n"))
		line = bytes.TrimRight(line, "\r")
		switch {
		case bytes.Equal(line, []byte("-----BEGIN PGP SIGNED MESSAGE-----")):
			signed, inHeader = true, true
			continue
		case signed && bytes.HasPrefix(line, []byte("-----BEGIN PGP SIGNATURE-----")):
			return out
		case inHeader:
			// Armor headers (Hash: SHA256) end at the first empty line.
			if len(bytes.TrimSpace(line)) == 0 {
				inHeader = false
			}
			continue
		case signed && bytes.HasPrefix(line, []byte("- ")):
			line = line[2:]
		}
		if name, sum, ok := checksumLine(string(line)); ok {
			out[name] = sum
		}
	}
	return out
}

// checksumLine parses one line of a CHECKSUM file.
func checksumLine(s string) (name, sum string, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" || s[0] == '#' {
		return "", "", false
	}
	if rest, found := strings.CutPrefix(s, "SHA256 ("); found {
		i := strings.LastIndex(rest, ") = ")
		if i < 0 {
			return "", "", false
		}
		name, sum = rest[:i], rest[i+len(") = "):]
	} else {
		var found bool
		sum, name, found = strings.Cut(s, " ")
		if !found {
			return "", "", false
		}
		name = strings.TrimPrefix(strings.TrimLeft(name, " "), "*")
	}
	sum = strings.ToLower(strings.TrimSpace(sum))
	if len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" || !fileName(name) {
		return "", "", false
	}
	return name, sum, true
}

// fileName reports whether s can name a file of the directory it is in.
func fileName(s string) bool {
	if s == "" || s == "." || s == ".." || strings.ContainsRune(s, '/') {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return false
		}
	}
	return true
}

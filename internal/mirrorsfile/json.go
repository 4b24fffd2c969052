package mirrorsfile

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/metalinkd/metalinkd/store"
)

// startsJSONObject reports whether the input's first character, after
// white space, opens a JSON object.
func startsJSONObject(br *bufio.Reader) bool {
	for n := 1; ; n++ {
		b, _ := br.Peek(n)
		if len(b) < n {
			return false
		}
		switch c := b[n-1]; c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return true
		default:
			return false
		}
	}
}

// decodeJSON reads a JSON mirrors file as a stream: the large lists
// (directories, freshness) entry by entry, with the names that repeat in
// them held once, so that memory follows the data and not the text.
func decodeJSON(r io.Reader) (*file, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if _, err := dec.Token(); err != nil { // the opening brace, seen by startsJSONObject
		return nil, err
	}
	var f file
	names := map[string]string{}
	intern := func(s string) string {
		if v, ok := names[s]; ok {
			return v
		}
		names[s] = s
		return s
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		switch key {
		case "locations":
			err = dec.Decode(&f.Locations)
		case "mirrors":
			err = dec.Decode(&f.Mirrors)
		case "repositories":
			err = dec.Decode(&f.Repositories)
		case "redirects":
			err = dec.Decode(&f.Redirects)
		case "scan_rules":
			err = dec.Decode(&f.ScanRules)
		case "netblock_countries":
			err = dec.Decode(&f.NetblockCountries)
		case "country_continents":
			err = dec.Decode(&f.CountryContinents)
		case "directories":
			err = eachElement(dec, key, func() error {
				var d store.Directory
				if err := dec.Decode(&d); err != nil {
					return err
				}
				d.Path = intern(d.Path)
				f.Directories = append(f.Directories, d)
				return nil
			})
		case "tree_directories":
			err = eachElement(dec, key, func() error {
				var p string
				if err := dec.Decode(&p); err != nil {
					return err
				}
				f.TreeDirectories = append(f.TreeDirectories, p)
				return nil
			})
		case "files":
			err = eachElement(dec, key, func() error {
				var x store.TreeFile
				if err := dec.Decode(&x); err != nil {
					return err
				}
				f.Files = append(f.Files, x)
				return nil
			})
		case "freshness":
			fr := &freshnessReader{r: bufio.NewReaderSize(io.MultiReader(dec.Buffered(), r), 64<<10)}
			err = fr.readList(func(x store.Freshness) {
				x.Mirror, x.Directory, x.SHA256 = intern(x.Mirror), intern(x.Directory), intern(x.SHA256)
				f.Freshness = append(f.Freshness, x)
			})
			if err == nil {
				dec, err = resume(fr)
			}
		case "health":
			err = dec.Decode(&f.Health)
		default:
			err = fmt.Errorf("unknown field %q", key)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the end of the object")
	}
	return &f, nil
}

// resume returns a decoder for the rest of the file's object after a
// list read by fr: the rest, after the ',' between keys, is read as the
// object it would be on its own.
func resume(fr *freshnessReader) (*json.Decoder, error) {
	c, err := fr.next()
	if err != nil {
		return nil, err
	}
	rest := "{"
	switch c {
	case ',':
	case '}':
		rest = "{}"
	default:
		return nil, fmt.Errorf("want ',' or '}' after the list, got %q", c)
	}
	dec := json.NewDecoder(io.MultiReader(strings.NewReader(rest), fr.r))
	dec.DisallowUnknownFields()
	_, err = dec.Token()
	return dec, err
}

// eachElement calls decode for each element of the JSON array that comes
// next (null is an empty one).
func eachElement(dec *json.Decoder, key string, decode func() error) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("want a list, got %v", tok)
	}
	for dec.More() {
		if err := decode(); err != nil {
			return err
		}
	}
	_, err = dec.Token() // the closing bracket
	return err
}

package admin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// checkObject returns an error unless body, the request body, is a JSON
// object: null, an array or a bare value is refused rather than taken as
// "no fields", which would reset a replaced entity's fields.
func checkObject(body []byte) error {
	b := bytes.TrimLeft(body, " \t\r\n")
	if len(b) == 0 || b[0] == '{' {
		return nil // empty: the decoder says an object is required
	}
	kind := "a number"
	switch b[0] {
	case 'n':
		kind = "null"
	case '[':
		kind = "an array"
	case '"':
		kind = "a string"
	case 't', 'f':
		kind = "true or false"
	}
	return invalid("body", "must be a JSON object, not %s", kind)
}

// checkDuplicateKeys returns an error naming the first key that appears
// twice in one object of body, which must be valid JSON of bounded depth
// (as the decoder has checked). The decoder would silently keep the last
// value, which hides mistakes and lets one body mean two things to two
// readers.
func checkDuplicateKeys(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	return duplicateKeys(dec, "")
}

func duplicateKeys(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return decodeError(err)
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return decodeError(err)
			}
			key, _ := kt.(string)
			field := key
			if path != "" {
				field = path + "." + key
			}
			// The decoder matches keys to fields regardless of case.
			folded := strings.ToLower(key)
			if seen[folded] {
				return invalid(field, "key %q appears more than once in one object", key)
			}
			seen[folded] = true
			if err := duplicateKeys(dec, field); err != nil {
				return err
			}
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := duplicateKeys(dec, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	default:
		return nil
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return decodeError(err)
	}
	return nil
}

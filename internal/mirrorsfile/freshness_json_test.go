package mirrorsfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var freshnessDocs = []string{
	`{"freshness": [{"mirror":"m1","directory":"pub/os","sha256":"ab","reported":"2026-11-01T00:00:22.42Z","source":"crawl"}]}`,
	`{"freshness":[ { "mirror" : "m1" ,` + "\n\t" + `"directory": "pub/os", "reported": "2026-11-01T00:00:22+02:00" } , {} ] , "health": []}`,
	`{"mirrors": [], "freshness": null, "redirects": []}`,
	`{"freshness": []}`,
	`{"freshness": [null, {"mirror": "m{1}"}]}`,
	`{"freshness": [{"mirror":"m\u00e9"}, {"mirror":"m\"1}"}, {"mirror":"mé"}]}`,
	`{"freshness": [{"Mirror":"m1"}]}`,
	`{"freshness": [{"mirror":"m1","mirror":"m2"}]}`,
	`{"freshness": [{"mirror":"m1","extra":"x"}]}`,
	`{"freshness": [{"mirror":1}]}`,
	`{"freshness": [{"mirror":null}]}`,
	`{"freshness": [{"reported":"yesterday"}]}`,
	`{"freshness": [{"mirror":"m1",}]}`,
	`{"freshness": [{"mirror":"m1"}`,
	`{"freshness": [{"mirror":"m1"}] `,
	`{"freshness": [{"mirror":"m1"}]} {}`,
	`{"freshness": [{"mirror":"m1"}] "health": []}`,
	`{"freshness": [{"mirror":"m1"}], "nothing": []}`,
	`{"freshness": [{"mirror":"m1"}][]}`,
	`{"freshness": [1]}`,
	`{"freshness": {}}`,
	`{"freshness": nul}`,
}

// A file decodes as encoding/json decodes it whole, whichever path each
// freshness row takes.
func TestFreshnessLikeEncodingJSON(t *testing.T) {
	for _, doc := range freshnessDocs {
		checkFreshnessDoc(t, doc)
	}
}

func FuzzFreshnessJSON(f *testing.F) {
	for _, doc := range freshnessDocs {
		f.Add(doc)
	}
	f.Fuzz(checkFreshnessDoc)
}

func checkFreshnessDoc(t *testing.T, doc string) {
	if !strings.HasPrefix(doc, "{") || repeatsKey(doc) {
		return // Parse sends only objects here; a repeated key is read once or twice
	}
	var want file
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	wantErr := dec.Decode(&want)
	if wantErr == nil {
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			wantErr = errors.New("data after the end of the object")
		}
	}
	got, gotErr := decodeJSON(bytes.NewReader([]byte(doc)))
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%s: error %v, encoding/json says %v", doc, gotErr, wantErr)
	}
	if wantErr != nil {
		return
	}
	if diff := cmp.Diff(&want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("%s (-encoding/json +decodeJSON):\n%s", doc, diff)
	}
}

// repeatsKey reports whether doc, a JSON object, names a key twice at its
// top level (or is not valid JSON).
func repeatsKey(doc string) bool {
	dec := json.NewDecoder(strings.NewReader(doc))
	if _, err := dec.Token(); err != nil {
		return true
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok || seen[key] {
			return true
		}
		seen[key] = true
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return true
		}
	}
	return false
}

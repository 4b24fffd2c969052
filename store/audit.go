package store

import (
	"bytes"
	"encoding/json"
	"time"
	"unicode/utf8"
)

// MaxAuditValue bounds each value an audit entry records, in bytes of JSON.
const MaxAuditValue = 256

// Change is the detail of an audit entry for a change of one entity: its
// state before and after (nil for a creation or a deletion). The entry
// records, for each field that differs, {"before": …, "after": …}, a side
// being absent when the field was unset there.
type Change struct {
	Before, After any
}

// fieldChange is one changed field of an audit entry.
type fieldChange struct {
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}

// truncated stands for a value longer than MaxAuditValue: its size and the
// start of its JSON text.
type truncated struct {
	Truncated bool   `json:"truncated"`
	Bytes     int    `json:"bytes"`
	Head      string `json:"head"`
}

// fields returns the fields that differ between c's sides, or nil when
// none does.
func (c Change) fields() map[string]fieldChange {
	before, _ := objectFields(c.Before)
	after, _ := objectFields(c.After)
	out := map[string]fieldChange{}
	for k, b := range before {
		if a, ok := after[k]; !ok || !bytes.Equal(b, a) {
			out[k] = fieldChange{Before: capValue(b), After: capValue(after[k])}
		}
	}
	for k, a := range after {
		if _, ok := before[k]; !ok {
			out[k] = fieldChange{After: capValue(a)}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// objectFields returns the JSON fields of v, compacted so that they compare
// by value; a value that is not an object is one field, "value", and
// object is false.
func objectFields(v any) (fields map[string]json.RawMessage, object bool) {
	if v == nil {
		return nil, true
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return nil, true
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return map[string]json.RawMessage{"value": b}, false
	}
	for k, raw := range m {
		var buf bytes.Buffer
		if json.Compact(&buf, raw) == nil {
			m[k] = buf.Bytes()
		}
	}
	return m, true
}

// capFields returns detail with each of its fields (or detail itself, when
// it is not an object) cut to MaxAuditValue.
func capFields(detail any) any {
	m, object := objectFields(detail)
	if !object {
		return capValue(m["value"])
	}
	for k, raw := range m {
		m[k] = capValue(raw)
	}
	return m
}

// capValue returns raw, or a truncation marker when it is longer than
// MaxAuditValue.
func capValue(raw json.RawMessage) json.RawMessage {
	if len(raw) <= MaxAuditValue {
		return raw
	}
	head := raw[:MaxAuditValue]
	for len(head) > 0 && !utf8.Valid(head) {
		head = head[:len(head)-1] // do not split a character
	}
	b, err := json.Marshal(truncated{Truncated: true, Bytes: len(raw), Head: string(head)})
	if err != nil {
		return nil
	}
	return b
}

// AuditRetention bounds the audit log; every store enforces it when it
// writes an entry. A zero field takes the store's default; a negative one
// sets no bound.
type AuditRetention struct {
	// MaxEntries is how many of the newest entries are kept.
	MaxEntries int
	// MaxAge is how long an entry is kept.
	MaxAge time.Duration
}

// DefaultAuditRetention keeps the newest 100,000 entries of the last 180
// days. The embedded store, which rewrites its whole file on each change,
// keeps 10,000 by default.
var DefaultAuditRetention = AuditRetention{MaxEntries: 100_000, MaxAge: 180 * 24 * time.Hour}

// WithDefaults returns r with its zero fields set from def.
func (r AuditRetention) WithDefaults(def AuditRetention) AuditRetention {
	if r.MaxEntries == 0 {
		r.MaxEntries = def.MaxEntries
	}
	if r.MaxAge == 0 {
		r.MaxAge = def.MaxAge
	}
	return r
}

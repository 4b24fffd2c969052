package adminapi

import (
	"fmt"
	"net/http"
	"strings"
)

// Error is an error answer of the API: its status and the server's
// message and field errors.
type Error struct {
	Status  int
	Message string
	Fields  []FieldError
}

// Error says the server's message, the status and each invalid field, one
// per line.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (HTTP %d)", e.Message, e.Status)
	for _, f := range e.Fields {
		b.WriteString("\n  ")
		b.WriteString(f.String())
	}
	return b.String()
}

// newError reads an error answer's body; a body that is not the API's
// error format gives the status text as the message.
func newError(status int, body ErrorBody, ok bool) *Error {
	e := &Error{Status: status, Message: body.Error, Fields: body.Fields}
	if !ok || e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// String gives the field, the entry, the line and the message, as in
// `urls[0] ("m4"): has no scheme`.
func (e FieldError) String() string {
	var b strings.Builder
	b.WriteString(e.Field)
	if e.Entry != "" {
		fmt.Fprintf(&b, " (%q)", e.Entry)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " at line %d", e.Line)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

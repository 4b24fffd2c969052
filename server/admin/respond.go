package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"unicode"

	"github.com/go-chi/chi/v5"

	"github.com/metalinkd/metalinkd/internal/adminapi"
	"github.com/metalinkd/metalinkd/internal/requestid"
	"github.com/metalinkd/metalinkd/store"
)

// StatusClientClosedRequest is the status recorded for a request whose
// client went away before the answer, as nginx's 499.
const StatusClientClosedRequest = 499

// ErrForbidden is a valid token without the scope a request needs.
var ErrForbidden = errors.New("forbidden")

var (
	errNoRoute = &publicError{"no such endpoint", store.ErrNotFound}
	errMethod  = &publicError{"method not allowed", errMethodNotAllowed}
	// errMethodNotAllowed gives 405.
	errMethodNotAllowed = errors.New("method not allowed")
	// errTooLarge gives 413.
	errTooLarge = errors.New("request body too large")
	// errTooManyRequests gives 429.
	errTooManyRequests = errors.New("too many requests")
)

// publicError carries a message that is safe to show to clients; its kind
// (a sentinel error) decides the status.
type publicError struct {
	msg  string
	kind error
}

func (e *publicError) Error() string { return e.msg }
func (e *publicError) Unwrap() error { return e.kind }

func notFound(format string, args ...any) error {
	return &publicError{fmt.Sprintf(format, args...), store.ErrNotFound}
}

func conflict(format string, args ...any) error {
	return &publicError{fmt.Sprintf(format, args...), store.ErrConflict}
}

// invalid returns a validation error naming one field of the request.
func invalid(field, format string, args ...any) error {
	return &store.ValidationError{Fields: []store.FieldError{{Field: field, Msg: fmt.Sprintf(format, args...)}}}
}

// errorBody is the JSON body of every error answer.
type errorBody = adminapi.ErrorBody

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handler that returns an error: the error decides the
// status, a 4xx carries a safe message, and anything unexpected is a 500
// logged with the request id, of which the client sees only the status text.
func (a *API) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.writeError(w, r, err)
		}
	}
}

func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ve *store.ValidationError
	if errors.As(err, &ve) {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "invalid data", Fields: views(ve.Fields, wireFieldError)})
		return
	}
	if errors.Is(err, context.Canceled) && errors.Is(r.Context().Err(), context.Canceled) {
		// The client went away: not a fault of the server, and nobody reads
		// the answer. The status is only for the access log.
		a.log.Debug("admin api: client closed the request", "request_id", requestid.FromContext(r.Context()),
			"method", r.Method, "path", r.URL.Path, "status", StatusClientClosedRequest, "error", err.Error())
		w.WriteHeader(StatusClientClosedRequest)
		return
	}
	status := statusOf(err)
	if status == http.StatusInternalServerError {
		a.log.Error("admin api", "request_id", requestid.FromContext(r.Context()), "method", r.Method,
			"path", r.URL.Path, "error", err.Error())
		writeJSON(w, status, errorBody{Error: http.StatusText(status)})
		return
	}
	msg := http.StatusText(status)
	var pe *publicError
	var tm *tooManyFailures
	switch {
	case errors.As(err, &pe):
		msg = pe.msg
	case errors.As(err, &tm):
		msg = tm.Error()
		w.Header().Set("Retry-After", tm.retryAfter())
	}
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="metalinkd"`)
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", strings.Join(a.allowedMethods(r), ", "))
	}
	writeJSON(w, status, errorBody{Error: msg})
}

// statusOf maps an error to its status by the sentinel it wraps.
func statusOf(err error) int {
	switch {
	case errors.Is(err, store.ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, store.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, errMethodNotAllowed):
		return http.StatusMethodNotAllowed
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errTooManyRequests):
		return http.StatusTooManyRequests
	case errors.Is(err, store.ErrUnavailable):
		// The database is down or frozen: the server itself is fine, and
		// the client may try again shortly.
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeJSON writes v as the JSON answer with the given status. It fails
// only when v cannot be encoded, before anything is written; a client that
// went away while the answer was written is not an error of the handler.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // an API answer, never embedded in HTML
	if err := enc.Encode(v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

// decode reads the request body as exactly one JSON value into v. Unknown
// fields, trailing data and bodies over MaxBodyBytes are refused.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	return unmarshal(body, v)
}

// readBody reads the request body, up to MaxBodyBytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return nil, decodeError(err)
	}
	return body, nil
}

// unmarshal decodes exactly one JSON object from body into v, refusing
// other values, unknown fields, keys given twice and trailing data. Fields
// absent from body keep v's values.
func unmarshal(body []byte, v any) error {
	if err := checkObject(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("body", "unexpected data after the JSON value")
	}
	// After decoding, which has checked the syntax and bounded the depth.
	return checkDuplicateKeys(body)
}

// decodeError turns a JSON decoding error into one naming the field.
func decodeError(err error) error {
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return &publicError{fmt.Sprintf("request body larger than %d bytes", mbe.Limit), errTooLarge}
	case errors.Is(err, io.EOF):
		return invalid("body", "a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("body", "the JSON object ends early")
	case errors.As(err, &se):
		return invalid("body", "not valid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		field := jsonPath(te.Field)
		if field == "" {
			field = "body"
		}
		return invalid(field, "want %s, got JSON %s", jsonKind(te.Type.Kind().String()), te.Value)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return invalid(strings.Trim(name, `"`), "unknown field")
	}
	return invalid("body", "not a JSON object of the expected shape")
}

// jsonPath drops from a decoder's field path the names of embedded Go
// structs (upper case, where every JSON name of the API is lower case).
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	parts = slices.DeleteFunc(parts, func(p string) bool { return p != "" && unicode.IsUpper(rune(p[0])) })
	return strings.Join(parts, ".")
}

// jsonKind names a Go kind in JSON's words.
func jsonKind(kind string) string {
	switch kind {
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	}
	return "a number"
}

// allowedMethods lists the methods the router serves for r's path.
func (a *API) allowedMethods(r *http.Request) []string {
	path := r.URL.Path
	if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.RoutePath != "" {
		path = rctx.RoutePath // the part below the mount point
	}
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if a.router.Match(chi.NewRouteContext(), m, path) {
			allowed = append(allowed, m)
		}
	}
	return allowed
}

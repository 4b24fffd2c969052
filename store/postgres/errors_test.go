package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/metalinkd/metalinkd/store"
)

func TestTranslate(t *testing.T) {
	tests := []struct {
		err  error
		want error
	}{
		{pgx.ErrNoRows, store.ErrNotFound},
		{&pgconn.PgError{Code: "23505"}, store.ErrConflict},
		{&pgconn.PgError{Code: "23514"}, store.ErrInvalid},
		{&pgconn.PgError{Code: "23503"}, store.ErrInvalid},
		{&pgconn.PgError{Code: "23502"}, store.ErrInvalid},
		{&pgconn.PgError{Code: "22P02"}, store.ErrInvalid},
		{fmt.Errorf("in a transaction: %w", &pgconn.PgError{Code: "23505"}), store.ErrConflict},
		{context.DeadlineExceeded, store.ErrUnavailable},
		{fmt.Errorf("query: %w", context.DeadlineExceeded), store.ErrUnavailable},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, store.ErrUnavailable},
		{&pgconn.PgError{Code: "57P01"}, store.ErrUnavailable}, // admin_shutdown
		{&pgconn.PgError{Code: "57P03"}, store.ErrUnavailable}, // cannot_connect_now
		{&pgconn.PgError{Code: "08006"}, store.ErrUnavailable}, // connection_failure
	}
	for _, tt := range tests {
		if got := translate(tt.err); !errors.Is(got, tt.want) {
			t.Errorf("translate(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	// Anything else keeps its identity and matches no sentinel.
	other := &pgconn.PgError{Code: "40001"}
	got := translate(other)
	for _, sentinel := range []error{store.ErrNotFound, store.ErrInvalid, store.ErrConflict, store.ErrUnavailable} {
		if errors.Is(got, sentinel) {
			t.Errorf("translate(40001) matches %v", sentinel)
		}
	}
}

func TestWrapNamesTheEntityOnce(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{store.ErrNotFound, `postgres: mirror "m": not found`},
		{fmt.Errorf("mirror %q: %w", "m", store.ErrNotFound), `postgres: mirror "m": not found`},
		{&store.ValidationError{Fields: []store.FieldError{{Field: "mirror.country", Entry: "m", Msg: "bad"}}},
			`postgres: invalid data: mirror.country ("m"): bad`},
	}
	for _, tt := range tests {
		if got := wrap(tt.err, "mirror %q", "m"); got.Error() != tt.want {
			t.Errorf("wrap(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

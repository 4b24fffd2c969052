package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/metalinkd/metalinkd/store"
)

// SecretPrefix starts every token secret, so that a leaked one is easy to
// recognise (by secret scanners too).
const SecretPrefix = "mlk_"

// NewSecret returns a new token secret: SecretPrefix and 256 random bits
// in unpadded base64url.
func NewSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return SecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// HashSecret returns the SHA-256 of a secret, the only form that is stored.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

func newTokenID() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ValidateToken checks a new token's name and scopes: each scope is
// "admin" or "report:<mirror>" naming a mirror of d.
func ValidateToken(name string, scopes []string, d *store.Dataset) error {
	var fields []store.FieldError
	add := func(field, format string, args ...any) {
		fields = append(fields, store.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if len(name) > 128 || strings.ContainsFunc(name, unicode.IsControl) {
		add("name", "must be at most 128 characters without control characters")
	}
	if len(scopes) == 0 {
		add("scopes", "at least one scope is required: %q or %q", store.ScopeAdmin, store.ScopeReportPrefix+"<mirror>")
	}
	for i, s := range scopes {
		f := fmt.Sprintf("scopes[%d]", i)
		mirror, isReport := strings.CutPrefix(s, store.ScopeReportPrefix)
		switch {
		case slices.Index(scopes, s) < i:
			add(f, "scope %q listed twice", s)
		case s == store.ScopeAdmin:
		case !isReport:
			add(f, "unknown scope %q: want %q or %q", s, store.ScopeAdmin, store.ScopeReportPrefix+"<mirror>")
		case !slices.ContainsFunc(d.Mirrors, func(m store.Mirror) bool { return m.Name == mirror }):
			add(f, "unknown mirror %q", mirror)
		}
	}
	if fields != nil {
		return &store.ValidationError{Fields: fields}
	}
	return nil
}

// IssueToken validates and stores a new token with a fresh secret, and
// returns the secret (which is not stored and cannot be shown again) and
// the token. The name defaults to the scopes.
func IssueToken(ctx context.Context, st store.Store, tokens store.Tokens, name string, scopes []string, now time.Time) (string, store.Token, error) {
	mirrors, err := st.Mirrors(ctx)
	if err != nil {
		return "", store.Token{}, err
	}
	if err := ValidateToken(name, scopes, &store.Dataset{Mirrors: mirrors}); err != nil {
		return "", store.Token{}, err
	}
	if name == "" {
		name = strings.Join(scopes, " ")
	}
	// A random id can collide with an existing one; another draw fixes it.
	for range 3 {
		secret := NewSecret()
		tok := store.Token{ID: newTokenID(), Name: name, Hash: HashSecret(secret), Scopes: slices.Clone(scopes), Created: now.UTC()}
		err = tokens.CreateToken(ctx, tok)
		if err == nil {
			return secret, tok, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			break
		}
	}
	return "", store.Token{}, err
}

package mm2

import (
	"testing"

	"github.com/metalinkd/metalinkd/internal/mm2/mm2test"
)

// newFixture creates a database holding testdata/fixture.sql.
func newFixture(t testing.TB) string { return mm2test.NewFixture(t) }

// convertFixture reads and converts the database at url as of mm2test.Now.
func convertFixture(t testing.TB, url string) *Result {
	t.Helper()
	src, err := Read(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	return Convert(src, Options{Now: mm2test.Now})
}

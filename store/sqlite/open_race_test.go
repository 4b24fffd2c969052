package sqlite_test

import (
	"sync"
	"testing"

	"github.com/metalinkd/metalinkd/store/sqlite"
)

// Several programs started at once on a data directory nobody has used yet
// (a server and its timers on first boot) must all open it: one creates
// the schema while the others wait for it.
func TestOpenNewDirectoryAtOnce(t *testing.T) {
	for round := range 30 {
		dir := t.TempDir()
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				s, err := sqlite.Open(t.Context(), dir)
				if err == nil {
					_, err = s.Mirrors(t.Context())
					s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d, open %d: %v", round, i, err)
			}
		}
	}
}

package store

// FreshnessRows yields freshness rows one at a time until yield returns an
// error, which it then returns; or the error of reading them.
type FreshnessRows = func(yield func(Freshness) error) error

// ExportDataset calls fn as Store.Export does, with a dataset already
// loaded: a copy of d without its freshness, and rows over d's.
func ExportDataset(d *Dataset, fn func(d *Dataset, rows FreshnessRows) error) error {
	head := *d
	head.Freshness = nil
	return fn(&head, func(yield func(Freshness) error) error {
		for _, f := range d.Freshness {
			if err := yield(f); err != nil {
				return err
			}
		}
		return nil
	})
}

// Names keeps one copy of each name read, so that the rows of a large
// network's freshness, whose mirror, directory and repomd names repeat,
// share their strings: a store reads a name as bytes and asks for it here,
// which allocates only the first time.
type Names map[string]string

// Of returns the kept copy of b, keeping one when there is none.
func (n Names) Of(b []byte) string {
	if s, ok := n[string(b)]; ok {
		return s
	}
	s := string(b)
	n[s] = s
	return s
}

package store_test

import "github.com/metalinkd/metalinkd/store"

// mirror returns a valid public mirror of the given name.
func mirror(name string) store.Mirror {
	return store.Mirror{Name: name, Country: "DE", Bandwidth: 10, Enabled: true, URLs: []string{"https://" + name + ".example/pub"}}
}

// Package location defines the grammar of location names, the short tokens
// (such as "us-east-1") that a guest sends as location= and that name a
// group of regional mirrors. It is a leaf package so that the guest helper
// can share the grammar without linking any server code.
package location

// MaxLen is the longest location name accepted.
const MaxLen = 63

// Valid reports whether name is a well-formed location name: 1 to MaxLen
// characters from [a-z0-9-], not starting or ending with '-'. Anything else,
// including dnf's unsubstituted "$location", is not a location.
func Valid(name string) bool {
	if len(name) == 0 || len(name) > MaxLen {
		return false
	}
	if name[0] == '-' || name[len(name)-1] == '-' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// Package secret reads the programs' secrets from the environment: a value
// from $NAME, or, as container and systemd credential setups expect, from the
// file named by $NAME_FILE. It links only the standard library.
package secret

import (
	"fmt"
	"os"
	"strings"
)

// FromEnv returns the secret named name: $NAME when set, else the contents of
// the file named by $NAME_FILE, with surrounding white space trimmed. It
// returns "" and no error when neither is set; an unreadable file is an error
// naming the variable.
func FromEnv(getenv func(string) string, name string) (string, error) {
	if v := getenv(name); v != "" {
		return strings.TrimSpace(v), nil
	}
	file := getenv(name + "_FILE")
	if file == "" {
		return "", nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}

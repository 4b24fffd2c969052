//go:build !unix

package server

// DefaultMaxConns is the default of ConnLimits.Max where the file
// descriptor limit cannot be read.
func DefaultMaxConns() int { return fallbackMaxConns }

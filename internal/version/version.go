// Package version tells which build of the programs is running, from the
// build information the Go toolchain embeds: the module version, the VCS
// revision and its time. It links only the standard library.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Info describes one build.
type Info struct {
	// Version is the module version ("v1.2.3", or "(devel)" for a build
	// from a work tree).
	Version string `json:"version"`
	// Revision is the VCS commit, with "+dirty" when the tree had changes.
	Revision string `json:"revision,omitempty"`
	// Time is the commit time (RFC 3339), the closest stand-in for a build
	// time that keeps builds reproducible.
	Time string `json:"time,omitempty"`
	// Go is the toolchain version.
	Go string `json:"go"`
}

// Get returns the running program's build information.
func Get() Info {
	info := Info{Version: "(devel)", Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	if v := bi.Main.Version; v != "" {
		info.Version = v
	}
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && info.Revision != "" {
		info.Revision += "+dirty"
	}
	return info
}

// String is the one-line form: "v1.2.3 (abc1234, 2026-11-30T00:00:00Z, go1.26.8)".
func (i Info) String() string {
	parts := []string{}
	if i.Revision != "" {
		rev := i.Revision
		if len(rev) > 12 && !strings.HasSuffix(rev, "+dirty") {
			rev = rev[:12]
		}
		parts = append(parts, rev)
	}
	if i.Time != "" {
		parts = append(parts, i.Time)
	}
	parts = append(parts, i.Go)
	return fmt.Sprintf("%s (%s)", i.Version, strings.Join(parts, ", "))
}

// UserAgent is the User-Agent a program sends: "program/version".
func UserAgent(program string) string {
	return program + "/" + Get().Version
}

package version

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	tests := []struct {
		info Info
		want string
	}{
		{Info{Version: "v1.2.3", Revision: "0123456789abcdef0123", Time: "2026-11-30T00:00:00Z", Go: "go1.26.8"},
			"v1.2.3 (0123456789ab, 2026-11-30T00:00:00Z, go1.26.8)"},
		{Info{Version: "(devel)", Revision: "0123456789abcdef0123+dirty", Go: "go1.26.8"},
			"(devel) (0123456789abcdef0123+dirty, go1.26.8)"},
		{Info{Version: "(devel)", Go: "go1.26.8"}, "(devel) (go1.26.8)"},
	}
	for _, tt := range tests {
		if got := tt.info.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestGet(t *testing.T) {
	i := Get()
	if i.Version == "" || !strings.HasPrefix(i.Go, "go") {
		t.Errorf("Get() = %+v: want a version and the toolchain", i)
	}
	if ua := UserAgent("mirror-sync"); !strings.HasPrefix(ua, "mirror-sync/") || len(ua) <= len("mirror-sync/") {
		t.Errorf("UserAgent = %q", ua)
	}
}

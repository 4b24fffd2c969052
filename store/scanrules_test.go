package store

import "testing"

func TestMapperFedoraLayout(t *testing.T) {
	tests := []struct {
		dir, repo, arch string
	}{
		{"releases/41/Everything/x86_64/os", "fedora-41", "x86_64"},
		{"pub/fedora/linux/releases/41/Everything/aarch64/os", "fedora-41", "aarch64"},
		{"releases/41/Everything/source/tree", "fedora-source-41", "source"},
		{"releases/41/Everything/x86_64/debug/tree", "fedora-debug-41", "x86_64"},
		{"updates/41/Everything/x86_64", "updates-released-f41", "x86_64"},
		{"updates/41/Everything/x86_64/debug", "updates-released-debug-f41", "x86_64"},
		{"updates/41/Everything/source/tree", "updates-released-source-f41", "source"},
		{"updates/testing/41/Everything/ppc64le", "updates-testing-f41", "ppc64le"},
		{"updates/testing/41/Everything/ppc64le/debug", "updates-testing-debug-f41", "ppc64le"},
		{"updates/testing/41/Everything/source/tree", "updates-testing-source-f41", "source"},
		{"development/rawhide/Everything/s390x/os", "rawhide", "s390x"},
		{"development/rawhide/Everything/s390x/debug/tree", "rawhide-debug", "s390x"},
		{"development/rawhide/Everything/source/tree", "rawhide-source", "source"},
		{"development/43/Everything/x86_64/os", "fedora-43", "x86_64"},
		{"pub/fedora/linux/development/43/Everything/aarch64/debug/tree", "fedora-debug-43", "aarch64"},
		{"development/43/Everything/source/tree", "fedora-source-43", "source"},
		{"pub/epel/9/Everything/x86_64", "epel-9", "x86_64"},
		{"epel/10.1/Everything/aarch64", "epel-10.1", "aarch64"},
		{"epel/9/Everything/x86_64/debug", "epel-debug-9", "x86_64"},
		{"epel/9/Everything/source/tree", "epel-source-9", "source"},
		{"epel/testing/9/Everything/ppc64le", "testing-epel9", "ppc64le"},
		{"epel/testing/9/Everything/ppc64le/debug", "testing-debug-epel9", "ppc64le"},
		{"epel/testing/9/Everything/source/tree", "testing-source-epel9", "source"},
		{"epel/next/9/Everything/x86_64", "epel-next-9", "x86_64"},
		{"epel/next/9/Everything/x86_64/debug", "epel-next-debug-9", "x86_64"},
		{"epel/next/9/Everything/source/tree", "epel-next-source-9", "source"},
		{"epel/testing/next/9/Everything/s390x", "epel-testing-next-9", "s390x"},
		{"epel/testing/next/9/Everything/s390x/debug", "epel-testing-next-debug-9", "s390x"},
		{"epel/testing/next/9/Everything/source/tree", "epel-testing-next-source-9", "source"},
		{"openh264/41/x86_64/debug", "fedora-cisco-openh264-debug-41", "x86_64"},
		{"openh264/41/x86_64/os", "fedora-cisco-openh264-41", "x86_64"},
		{"openh264/41/aarch64", "fedora-cisco-openh264-41", "aarch64"},
	}
	m := NewMapper(nil)
	used := map[int]bool{}
	for _, tt := range tests {
		repo, arch, ok := m.Map(tt.dir)
		if !ok || repo != tt.repo || arch != tt.arch {
			t.Errorf("Map(%q) = %q, %q, %v; want %q, %q, true", tt.dir, repo, arch, ok, tt.repo, tt.arch)
		}
		for i, r := range m.rules {
			if r.re.MatchString(tt.dir) {
				used[i] = true
				break
			}
		}
	}
	// Every default rule has a test directory above.
	for i, r := range FedoraScanRules {
		if !used[i] {
			t.Errorf("rule %q has no test directory", r.Pattern)
		}
	}
}

func TestMapperUnmapped(t *testing.T) {
	m := NewMapper(nil)
	for _, dir := range []string{
		"",
		"releases/41/Everything/x86_64", // no os/
		"releases/41/Everything/x86_64/os/Packages", // below a repository
		"releases/rawhide/Everything/x86_64/os",     // release not a number
		"myreleases/41/Everything/x86_64/os",        // prefix not at a path component
		"epel/9/Everything/x86_64/Packages",         // below a repository
		"epel/nine/Everything/x86_64",               // release not a number
		"development/43/Everything/x86_64",          // no os/
		"openh264/41/x86_64/os/Packages",            // below a repository
	} {
		if repo, arch, ok := m.Map(dir); ok {
			t.Errorf("Map(%q) = %q, %q, true; want no match", dir, repo, arch)
		}
	}
}

func TestMapperCustomRules(t *testing.T) {
	tests := []struct {
		name       string
		rules      []ScanRule
		dir        string
		repo, arch string
		ok         bool
	}{
		{name: "numbered submatches",
			rules: []ScanRule{{Pattern: `^epel/(\d+)/Everything/([^/]+)$`, Repo: "epel-$1", Arch: "$2"}},
			dir:   "epel/9/Everything/x86_64", repo: "epel-9", arch: "x86_64", ok: true},
		{name: "named submatches",
			rules: []ScanRule{{Pattern: `^centos/(?P<v>\d+)-stream/BaseOS/(?P<a>[^/]+)/os$`, Repo: "centos-baseos-${v}-stream", Arch: "${a}"}},
			dir:   "centos/9-stream/BaseOS/aarch64/os", repo: "centos-baseos-9-stream", arch: "aarch64", ok: true},
		{name: "literal templates",
			rules: []ScanRule{{Pattern: `^tools$`, Repo: "tools", Arch: "noarch"}},
			dir:   "tools", repo: "tools", arch: "noarch", ok: true},
		{name: "custom rules are tried before Fedora's",
			rules: []ScanRule{{Pattern: `^releases/(\d+)/Everything/([^/]+)/os$`, Repo: "mine-$1", Arch: "$2"}},
			dir:   "releases/41/Everything/x86_64/os", repo: "mine-41", arch: "x86_64", ok: true},
		{name: "the first matching custom rule wins",
			rules: []ScanRule{
				{Pattern: `^a/(\w+)$`, Repo: "first-$1", Arch: "noarch"},
				{Pattern: `^a/(\w+)$`, Repo: "second-$1", Arch: "noarch"},
			},
			dir: "a/b", repo: "first-b", arch: "noarch", ok: true},
		{name: "Fedora's rules apply when no custom rule matches",
			rules: []ScanRule{{Pattern: `^epel/(\d+)$`, Repo: "epel-$1", Arch: "x86_64"}},
			dir:   "releases/41/Everything/x86_64/os", repo: "fedora-41", arch: "x86_64", ok: true},
		{name: "an invalid pattern is skipped",
			rules: []ScanRule{
				{Pattern: `^epel/(\d+$`, Repo: "broken", Arch: "x86_64"},
				{Pattern: `^epel/(\d+)$`, Repo: "epel-$1", Arch: "x86_64"},
			},
			dir: "epel/9", repo: "epel-9", arch: "x86_64", ok: true},
		{name: "a match that expands to an empty arch maps nothing",
			rules: []ScanRule{{Pattern: `^epel/(\d+)/?(\w*)$`, Repo: "epel-$1", Arch: "$2"}},
			dir:   "epel/9", repo: "epel-9", arch: "", ok: false},
		{name: "a match that expands to an empty repo maps nothing, even where Fedora's rules would",
			rules: []ScanRule{{Pattern: `^releases/.*$`, Repo: "${missing}", Arch: "x86_64"}},
			dir:   "releases/41/Everything/x86_64/os", repo: "", arch: "x86_64", ok: false},
		{name: "the pattern must match the whole path when anchored",
			rules: []ScanRule{{Pattern: `^epel/(\d+)$`, Repo: "epel-$1", Arch: "x86_64"}},
			dir:   "epel/9/extra", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo, arch, ok := NewMapper(tt.rules).Map(tt.dir)
			if repo != tt.repo || arch != tt.arch || ok != tt.ok {
				t.Errorf("Map(%q) = %q, %q, %v; want %q, %q, %v", tt.dir, repo, arch, ok, tt.repo, tt.arch, tt.ok)
			}
		})
	}
}

// TestNewMapperLeavesRulesAlone checks that the caller's rules and
// FedoraScanRules are not changed by building a mapper.
func TestNewMapperLeavesRulesAlone(t *testing.T) {
	custom := make([]ScanRule, 1, 8)
	custom[0] = ScanRule{Pattern: `^x$`, Repo: "x", Arch: "noarch"}
	fedora := append([]ScanRule(nil), FedoraScanRules...)
	NewMapper(custom)
	if got := custom[:cap(custom)][1]; got != (ScanRule{}) {
		t.Errorf("NewMapper wrote %+v past the caller's rules", got)
	}
	for i := range fedora {
		if FedoraScanRules[i] != fedora[i] {
			t.Errorf("FedoraScanRules[%d] changed to %+v", i, FedoraScanRules[i])
		}
	}
}

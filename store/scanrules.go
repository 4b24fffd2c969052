package store

import (
	"regexp"
)

// FedoraScanRules map Fedora's master-tree layout to repository prefixes,
// as MirrorManager names them. Rules declared in the mirrors file are tried
// first; these apply when none of those matches.
var FedoraScanRules = []ScanRule{
	{Pattern: `^(?:.*/)?releases/(\d+)/Everything/source/tree$`, Repo: "fedora-source-$1", Arch: "source"},
	{Pattern: `^(?:.*/)?releases/(\d+)/Everything/([^/]+)/debug/tree$`, Repo: "fedora-debug-$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?releases/(\d+)/Everything/([^/]+)/os$`, Repo: "fedora-$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?updates/testing/(\d+)/Everything/source/tree$`, Repo: "updates-testing-source-f$1", Arch: "source"},
	{Pattern: `^(?:.*/)?updates/testing/(\d+)/Everything/([^/]+)/debug$`, Repo: "updates-testing-debug-f$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?updates/testing/(\d+)/Everything/([^/]+)$`, Repo: "updates-testing-f$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?updates/(\d+)/Everything/source/tree$`, Repo: "updates-released-source-f$1", Arch: "source"},
	{Pattern: `^(?:.*/)?updates/(\d+)/Everything/([^/]+)/debug$`, Repo: "updates-released-debug-f$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?updates/(\d+)/Everything/([^/]+)$`, Repo: "updates-released-f$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?development/rawhide/Everything/source/tree$`, Repo: "rawhide-source", Arch: "source"},
	{Pattern: `^(?:.*/)?development/rawhide/Everything/([^/]+)/debug/tree$`, Repo: "rawhide-debug", Arch: "$1"},
	{Pattern: `^(?:.*/)?development/rawhide/Everything/([^/]+)/os$`, Repo: "rawhide", Arch: "$1"},
}

// Mapper maps master-tree directories to repositories by scan rules.
type Mapper struct {
	rules []compiledRule
}

type compiledRule struct {
	re         *regexp.Regexp
	repo, arch string
}

// NewMapper compiles custom rules (tried first) followed by Fedora's.
// Invalid patterns are reported by Dataset.Validate; here they are skipped.
func NewMapper(custom []ScanRule) *Mapper {
	m := &Mapper{}
	for _, r := range append(append([]ScanRule(nil), custom...), FedoraScanRules...) {
		re, err := regexp.Compile(r.Pattern)
		if err != nil {
			continue
		}
		m.rules = append(m.rules, compiledRule{re: re, repo: r.Repo, arch: r.Arch})
	}
	return m
}

// Map returns the repository prefix and architecture of a directory, or
// ok=false when no rule matches.
func (m *Mapper) Map(dir string) (repo, arch string, ok bool) {
	for _, r := range m.rules {
		sub := r.re.FindStringSubmatchIndex(dir)
		if sub == nil {
			continue
		}
		repo = string(r.re.ExpandString(nil, r.repo, dir, sub))
		arch = string(r.re.ExpandString(nil, r.arch, dir, sub))
		return repo, arch, repo != "" && arch != ""
	}
	return "", "", false
}

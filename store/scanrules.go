package store

import (
	"regexp"
)

// FedoraScanRules map Fedora's master-tree layout to repository prefixes,
// named as Fedora's repo files and MirrorManager's repomap name them (so
// that the metalink URLs of fedora*.repo, epel*.repo and
// fedora-cisco-openh264.repo find them). Rules declared in the mirrors file
// are tried first; these apply when none of those matches, first match
// wins. N is a release number (EPEL's may have a minor: 10.1), ARCH any
// architecture directory; every pattern may sit below any prefix
// (pub/fedora/linux/, pub/epel/, …).
//
//	directory                                   repository
//	releases/N/Everything/ARCH/os               fedora-N
//	releases/N/Everything/ARCH/debug/tree       fedora-debug-N
//	releases/N/Everything/source/tree           fedora-source-N
//	development/N/Everything/ARCH/os            fedora-N (Branched)
//	development/N/Everything/ARCH/debug/tree    fedora-debug-N
//	development/N/Everything/source/tree        fedora-source-N
//	development/rawhide/Everything/ARCH/os      rawhide
//	development/rawhide/Everything/ARCH/debug/tree  rawhide-debug
//	development/rawhide/Everything/source/tree  rawhide-source
//	updates/N/Everything/ARCH                   updates-released-fN
//	updates/N/Everything/ARCH/debug             updates-released-debug-fN
//	updates/N/Everything/source/tree            updates-released-source-fN
//	updates/testing/N/Everything/ARCH           updates-testing-fN
//	updates/testing/N/Everything/ARCH/debug     updates-testing-debug-fN
//	updates/testing/N/Everything/source/tree    updates-testing-source-fN
//	epel/N/Everything/ARCH                      epel-N
//	epel/N/Everything/ARCH/debug                epel-debug-N
//	epel/N/Everything/source/tree               epel-source-N
//	epel/testing/N/Everything/ARCH              testing-epelN
//	epel/testing/N/Everything/ARCH/debug        testing-debug-epelN
//	epel/testing/N/Everything/source/tree       testing-source-epelN
//	epel/next/N/Everything/ARCH                 epel-next-N
//	epel/next/N/Everything/ARCH/debug           epel-next-debug-N
//	epel/next/N/Everything/source/tree          epel-next-source-N
//	epel/testing/next/N/Everything/ARCH         epel-testing-next-N
//	epel/testing/next/N/Everything/ARCH/debug   epel-testing-next-debug-N
//	epel/testing/next/N/Everything/source/tree  epel-testing-next-source-N
//	openh264/N/ARCH/os (or openh264/N/ARCH)     fedora-cisco-openh264-N
//	openh264/N/ARCH/debug                       fedora-cisco-openh264-debug-N
//
// Source trees answer for arch "source", as a repo containing "source"
// forces that arch.
var FedoraScanRules = []ScanRule{
	{Pattern: `^(?:.*/)?releases/(\d+)/Everything/source/tree$`, Repo: "fedora-source-$1", Arch: "source"},
	{Pattern: `^(?:.*/)?releases/(\d+)/Everything/([^/]+)/debug/tree$`, Repo: "fedora-debug-$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?releases/(\d+)/Everything/([^/]+)/os$`, Repo: "fedora-$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?development/(\d+)/Everything/source/tree$`, Repo: "fedora-source-$1", Arch: "source"},
	{Pattern: `^(?:.*/)?development/(\d+)/Everything/([^/]+)/debug/tree$`, Repo: "fedora-debug-$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?development/(\d+)/Everything/([^/]+)/os$`, Repo: "fedora-$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?development/rawhide/Everything/source/tree$`, Repo: "rawhide-source", Arch: "source"},
	{Pattern: `^(?:.*/)?development/rawhide/Everything/([^/]+)/debug/tree$`, Repo: "rawhide-debug", Arch: "$1"},
	{Pattern: `^(?:.*/)?development/rawhide/Everything/([^/]+)/os$`, Repo: "rawhide", Arch: "$1"},
	{Pattern: `^(?:.*/)?updates/testing/(\d+)/Everything/source/tree$`, Repo: "updates-testing-source-f$1", Arch: "source"},
	{Pattern: `^(?:.*/)?updates/testing/(\d+)/Everything/([^/]+)/debug$`, Repo: "updates-testing-debug-f$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?updates/testing/(\d+)/Everything/([^/]+)$`, Repo: "updates-testing-f$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?updates/(\d+)/Everything/source/tree$`, Repo: "updates-released-source-f$1", Arch: "source"},
	{Pattern: `^(?:.*/)?updates/(\d+)/Everything/([^/]+)/debug$`, Repo: "updates-released-debug-f$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?updates/(\d+)/Everything/([^/]+)$`, Repo: "updates-released-f$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?epel/testing/next/(\d+(?:\.\d+)?)/Everything/source/tree$`, Repo: "epel-testing-next-source-$1", Arch: "source"},
	{Pattern: `^(?:.*/)?epel/testing/next/(\d+(?:\.\d+)?)/Everything/([^/]+)/debug$`, Repo: "epel-testing-next-debug-$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?epel/testing/next/(\d+(?:\.\d+)?)/Everything/([^/]+)$`, Repo: "epel-testing-next-$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?epel/testing/(\d+(?:\.\d+)?)/Everything/source/tree$`, Repo: "testing-source-epel$1", Arch: "source"},
	{Pattern: `^(?:.*/)?epel/testing/(\d+(?:\.\d+)?)/Everything/([^/]+)/debug$`, Repo: "testing-debug-epel$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?epel/testing/(\d+(?:\.\d+)?)/Everything/([^/]+)$`, Repo: "testing-epel$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?epel/next/(\d+(?:\.\d+)?)/Everything/source/tree$`, Repo: "epel-next-source-$1", Arch: "source"},
	{Pattern: `^(?:.*/)?epel/next/(\d+(?:\.\d+)?)/Everything/([^/]+)/debug$`, Repo: "epel-next-debug-$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?epel/next/(\d+(?:\.\d+)?)/Everything/([^/]+)$`, Repo: "epel-next-$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?epel/(\d+(?:\.\d+)?)/Everything/source/tree$`, Repo: "epel-source-$1", Arch: "source"},
	{Pattern: `^(?:.*/)?epel/(\d+(?:\.\d+)?)/Everything/([^/]+)/debug$`, Repo: "epel-debug-$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?epel/(\d+(?:\.\d+)?)/Everything/([^/]+)$`, Repo: "epel-$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?openh264/(\d+)/([^/]+)/debug$`, Repo: "fedora-cisco-openh264-debug-$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?openh264/(\d+)/([^/]+)/os$`, Repo: "fedora-cisco-openh264-$1", Arch: "$2"},
	{Pattern: `^(?:.*/)?openh264/(\d+)/([^/]+)$`, Repo: "fedora-cisco-openh264-$1", Arch: "$2"},
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

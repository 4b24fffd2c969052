package store

import (
	"fmt"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/metalinkd/metalinkd/internal/location"
)

// FieldError names one invalid field: Field is a path such as
// "mirrors[3].country", Entry the name of the entry when it has one.
type FieldError struct {
	Field string `json:"field"`
	Entry string `json:"entry,omitempty"`
	Msg   string `json:"message"`
	// Line is the line in the source file, when the data came from one.
	Line int `json:"line,omitempty"`
}

func (e FieldError) String() string {
	var b strings.Builder
	b.WriteString(e.Field)
	if e.Entry != "" {
		fmt.Fprintf(&b, " (%q)", e.Entry)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " at line %d", e.Line)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// ValidationError lists every invalid field of a change. It matches ErrInvalid.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.String()
	}
	return "invalid data: " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

type validator struct{ errs []FieldError }

func (v *validator) add(field, entry, format string, args ...any) {
	v.errs = append(v.errs, FieldError{Field: field, Entry: entry, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) err() error {
	if len(v.errs) == 0 {
		return nil
	}
	return &ValidationError{Fields: v.errs}
}

var (
	nameRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	prefixRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$`)
	archRE   = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)
	bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// Validate checks the whole dataset and returns a *ValidationError naming
// every invalid field, or nil.
func (d *Dataset) Validate() error {
	v := &validator{}
	locs := map[string]bool{}
	for i, l := range d.Locations {
		f := fmt.Sprintf("locations[%d]", i)
		validateLocation(v, f, l)
		if locs[l.Name] {
			v.add(f+".name", l.Name, "duplicate location name")
		}
		locs[l.Name] = true
	}
	for i, r := range d.CloudRanges {
		f := fmt.Sprintf("cloud_ranges[%d]", i)
		if _, err := ParseNetblock(r.Prefix); err != nil {
			v.add(f+".prefix", r.Region, "%v", err)
		}
		if !location.Valid(r.Region) {
			v.add(f+".region", r.Region, "not a region id")
		}
		if !location.Valid(r.Provider) {
			v.add(f+".provider", r.Region, "not a provider name")
		}
	}
	if len(d.Mirrors) > MaxMirrors {
		v.add("mirrors", "", "%d mirrors; at most %d are supported", len(d.Mirrors), MaxMirrors)
	}
	mirrors := map[string]bool{}
	mirrorIDs := make(map[string]int, len(d.Mirrors)) // for the freshness rows
	for i, m := range d.Mirrors {
		f := fmt.Sprintf("mirrors[%d]", i)
		validateMirror(v, f, &m, locs)
		if mirrors[m.Name] {
			v.add(f+".name", m.Name, "duplicate mirror name")
		}
		mirrors[m.Name] = true
		if _, ok := mirrorIDs[m.Name]; !ok {
			mirrorIDs[m.Name] = len(mirrorIDs)
		}
	}
	repos := map[[2]string]bool{}
	for i, r := range d.Repositories {
		f := fmt.Sprintf("repositories[%d]", i)
		validateRepository(v, f, r)
		key := [2]string{r.Prefix, r.Arch}
		if repos[key] {
			v.add(f, r.Prefix, "duplicate repository %s for arch %s", r.Prefix, r.Arch)
		}
		repos[key] = true
	}
	validateRedirects(v, d.Redirects)
	validateOverrides(v, d.NetblockCountries, d.CountryContinents)
	for i, r := range d.ScanRules {
		validateScanRule(v, fmt.Sprintf("scan_rules[%d]", i), r)
	}
	dirs := map[string]bool{}
	dirIDs := make(map[string]int, len(d.Directories))
	for i, dir := range d.Directories {
		f := fmt.Sprintf("directories[%d]", i)
		validateDirectory(v, f, &dir)
		if dirs[dir.Path] {
			v.add(f+".path", dir.Path, "duplicate directory")
		}
		dirs[dir.Path] = true
		if _, ok := dirIDs[dir.Path]; !ok {
			dirIDs[dir.Path] = len(dirIDs)
		}
	}
	validateTree(v, d)
	seen := newPairSet(len(mirrorIDs), len(dirIDs))
	dup := -1
	for i, fr := range d.Freshness {
		// Half a million rows at a large network's scale: the field name
		// is formatted only for a row with something to say.
		m, knownMirror := mirrorIDs[fr.Mirror]
		dir, knownDir := dirIDs[fr.Directory]
		if knownMirror && knownDir {
			if seen.add(m, dir) && dup < 0 {
				dup = i
			}
			if isHex(fr.SHA256, 64) && validSource(fr.Source) {
				continue
			}
		}
		f := fmt.Sprintf("freshness[%d]", i)
		if !knownMirror {
			v.add(f+".mirror", fr.Mirror, "unknown mirror")
		}
		if !knownDir {
			v.add(f+".directory", fr.Directory, "unknown directory")
		}
		checkHex(v, f+".sha256", fr.Mirror, fr.SHA256, 64, false)
		if !validSource(fr.Source) {
			v.add(f+".source", fr.Mirror, "must be %q or %q", SourceReport, SourceCrawl)
		}
	}
	if dup >= 0 {
		fr := d.Freshness[dup]
		first := slices.IndexFunc(d.Freshness, func(o Freshness) bool { return o.Mirror == fr.Mirror && o.Directory == fr.Directory })
		v.add(fmt.Sprintf("freshness[%d]", dup), fr.Mirror, "duplicate of freshness[%d]: %s for %s is listed twice",
			first, fr.Mirror, fr.Directory)
	}
	healthy := map[string]bool{}
	for i, h := range d.Health {
		validateHealth(v, fmt.Sprintf("health[%d]", i), &h, mirrors)
		if healthy[h.Mirror] {
			v.add(fmt.Sprintf("health[%d].mirror", i), h.Mirror, "duplicate health of one mirror")
		}
		healthy[h.Mirror] = true
	}
	return v.err()
}

// FreshnessCheck validates freshness rows one at a time, as Validate does
// d.Freshness but for duplicates (which the stores' primary keys rule
// out), against the mirrors and directories of a dataset: a reload checks
// a large network's half a million rows as they stream instead of holding
// them.
type FreshnessCheck struct {
	mirrors, dirs map[string]bool
	n             int
}

// NewFreshnessCheck returns the check of rows meant for d; d's own
// freshness is not looked at.
func NewFreshnessCheck(d *Dataset) *FreshnessCheck {
	c := &FreshnessCheck{mirrors: make(map[string]bool, len(d.Mirrors)), dirs: make(map[string]bool, len(d.Directories))}
	for i := range d.Mirrors {
		c.mirrors[d.Mirrors[i].Name] = true
	}
	for i := range d.Directories {
		c.dirs[d.Directories[i].Path] = true
	}
	return c
}

// Check validates the next row; the error, a *ValidationError, names it
// by its position among the rows checked (freshness[i]).
func (c *FreshnessCheck) Check(f *Freshness) error {
	v := &validator{}
	c.check(v, c.n, f)
	c.n++
	return v.err()
}

func (c *FreshnessCheck) check(v *validator, i int, fr *Freshness) {
	// Half a million rows at a large network's scale: the field name is
	// formatted only for a row with something to say.
	if c.mirrors[fr.Mirror] && c.dirs[fr.Directory] && isHex(fr.SHA256, 64) && validSource(fr.Source) {
		return
	}
	f := fmt.Sprintf("freshness[%d]", i)
	if !c.mirrors[fr.Mirror] {
		v.add(f+".mirror", fr.Mirror, "unknown mirror")
	}
	if !c.dirs[fr.Directory] {
		v.add(f+".directory", fr.Directory, "unknown directory")
	}
	checkHex(v, f+".sha256", fr.Mirror, fr.SHA256, 64, false)
	if !validSource(fr.Source) {
		v.add(f+".source", fr.Mirror, "must be %q or %q", SourceReport, SourceCrawl)
	}
}

// ValidateMirror checks one mirror against the known location names.
func ValidateMirror(m *Mirror, locations map[string]bool) error {
	v := &validator{}
	validateMirror(v, "mirror", m, locations)
	return v.err()
}

func validateLocation(v *validator, f string, l Location) {
	if !location.Valid(l.Name) {
		v.add(f+".name", l.Name, "must be 1 to %d characters of a-z, 0-9 and '-', not starting or ending with '-'", location.MaxLen)
	}
	if len(l.Description) > 200 {
		v.add(f+".description", l.Name, "longer than 200 characters")
	} else if !utf8.ValidString(l.Description) || strings.IndexFunc(l.Description, invisible) >= 0 {
		v.add(f+".description", l.Name, "contains a control or invisible character (one line of plain text, please)")
	}
	for i, r := range l.CloudRegions {
		if !location.Valid(r) {
			v.add(fmt.Sprintf("%s.cloud_regions[%d]", f, i), l.Name, "%q is not a region id such as us-east-1", r)
		}
	}
}

func validateMirror(v *validator, f string, m *Mirror, locs map[string]bool) {
	n := m.Name
	if !nameRE.MatchString(n) {
		v.add(f+".name", n, "must be 1 to 128 characters of letters, digits, '.', '_' and '-'")
	}
	if !KnownCountry(m.Country) {
		v.add(f+".country", n, "%q is not an ISO 3166 two-letter country code in upper case", m.Country)
	}
	if m.Bandwidth <= 0 {
		v.add(f+".bandwidth", n, "must be a positive number of Mbit/s, got %d", m.Bandwidth)
	}
	if len(m.URLs) == 0 {
		v.add(f+".urls", n, "at least one URL is required")
	}
	// Several URLs of one protocol are allowed, as in MirrorManager: answers
	// list them in this order. The same URL twice is a mistake.
	seenURL := map[string]bool{}
	for i, u := range m.URLs {
		uf := fmt.Sprintf("%s.urls[%d]", f, i)
		if _, msg := checkBaseURL(u); msg != "" {
			v.add(uf, n, "%s", msg)
			continue
		}
		if seenURL[u] {
			v.add(uf, n, "%q is listed twice", u)
		}
		seenURL[u] = true
	}
	for i, nb := range m.Netblocks {
		if _, err := ParseNetblock(nb); err != nil {
			v.add(fmt.Sprintf("%s.netblocks[%d]", f, i), n, "%v", err)
		}
	}
	seen := map[string]bool{}
	for i, l := range m.Locations {
		lf := fmt.Sprintf("%s.locations[%d]", f, i)
		switch {
		case !locs[l]:
			v.add(lf, n, "unknown location %q (declare it under locations first)", l)
		case seen[l]:
			v.add(lf, n, "location %q listed twice", l)
		}
		seen[l] = true
	}
	if m.Region != "" && !location.Valid(m.Region) {
		v.add(f+".region", n, "%q is not a region id such as us-east-1", m.Region)
	}
	if m.Bucket != "" && !bucketRE.MatchString(m.Bucket) {
		v.add(f+".bucket", n, "%q is not a valid S3 bucket name", m.Bucket)
	}
	seenCountry := map[string]bool{}
	for i, c := range m.CountriesAllowed {
		cf := fmt.Sprintf("%s.countries_allowed[%d]", f, i)
		switch {
		case !KnownCountry(c):
			v.add(cf, n, "%q is not an ISO 3166 two-letter country code in upper case", c)
		case seenCountry[c]:
			v.add(cf, n, "country %s listed twice", c)
		}
		seenCountry[c] = true
	}
	if !m.ServesIPv4() && !m.ServesIPv6() {
		v.add(f+".ipv6", n, "a mirror reachable over neither IPv4 nor IPv6 serves no one; disable it instead")
	}
}

// MaxURLLength bounds a mirror base URL, in bytes: far above any real one,
// and low enough that every answer listing the mirror stays small.
const MaxURLLength = 2048

// checkBaseURL returns the scheme of a mirror base URL, or a message saying
// why it is not acceptable.
func checkBaseURL(raw string) (scheme, msg string) {
	if len(raw) > MaxURLLength {
		return "", fmt.Sprintf("%d bytes long; a URL may have at most %d", len(raw), MaxURLLength)
	}
	// url.Parse refuses ASCII controls only; a line separator or a
	// direction override would survive into metalinks and mirrorlists.
	if !utf8.ValidString(raw) {
		return "", fmt.Sprintf("%q is not valid UTF-8", raw)
	}
	if i := strings.IndexFunc(raw, invisible); i >= 0 {
		return "", fmt.Sprintf("%q contains the control or format character %U; percent-encode it", raw, []rune(raw[i:])[0])
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Sprintf("%q is not a URL", raw)
	}
	switch u.Scheme {
	case "http", "https", "ftp", "rsync":
	case "":
		return "", fmt.Sprintf("%q has no scheme (http, https, ftp or rsync)", raw)
	default:
		return "", fmt.Sprintf("%q has unsupported scheme %q", raw, u.Scheme)
	}
	switch {
	case u.Host == "":
		return "", fmt.Sprintf("%q has no host", raw)
	case u.RawQuery != "" || u.ForceQuery:
		return "", fmt.Sprintf("%q has a query; a base URL cannot", raw)
	case u.Fragment != "":
		return "", fmt.Sprintf("%q has a fragment; a base URL cannot", raw)
	case u.User != nil:
		return "", fmt.Sprintf("%q carries credentials; a published URL cannot", raw)
	case strings.ContainsAny(raw, "<>\"' \t\n"):
		return "", fmt.Sprintf("%q contains characters that must be percent-encoded", raw)
	}
	if p := u.Port(); p != "" || strings.HasSuffix(u.Host, ":") {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", fmt.Sprintf("%q has port %q; a port is a number from 1 to 65535", raw, p)
		}
	}
	return u.Scheme, ""
}

// invisible reports whether r is a control character, a format character
// (such as U+200B or U+202E) or a line or paragraph separator.
func invisible(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// ParseNetblock parses a netblock in CIDR form (a bare address is taken as
// a single host) and rejects one with host bits set, which is almost always
// a typing error.
func ParseNetblock(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR netblock", s)
		}
		return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR netblock", s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("%q has host bits set; did you mean %s?", s, p.Masked())
	}
	// Client addresses are unmapped before matching, so a mapped prefix
	// would never match anything.
	if p.Addr().Is4In6() {
		if p.Bits() < 96 {
			return netip.Prefix{}, fmt.Errorf("%q is an IPv4-mapped IPv6 netblock, which never matches a client", s)
		}
		return netip.Prefix{}, fmt.Errorf("%q is an IPv4-mapped IPv6 netblock, which never matches a client; write %s",
			s, netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96))
	}
	return p, nil
}

func validateRepository(v *validator, f string, r Repository) {
	if !prefixRE.MatchString(r.Prefix) {
		v.add(f+".prefix", r.Prefix, "must be 1 to 128 characters of letters, digits, '.', '_', '+' and '-'")
	}
	if !archRE.MatchString(r.Arch) {
		v.add(f+".arch", r.Prefix, "%q is not an architecture name", r.Arch)
	}
	if msg := checkDirectory(r.Directory); msg != "" {
		v.add(f+".directory", r.Prefix, "%s", msg)
	}
}

// maxDirectory bounds a directory path; the tree's are a few dozen bytes.
const maxDirectory = 1024

// checkDirectory returns why p is not a clean directory path relative to the
// master tree root, or "". It is written into every URL of an answer, so
// what a mirror's base URL may not hold, it may not hold either.
func checkDirectory(p string) string {
	switch {
	case p == "":
		return "a directory is required"
	case len(p) > maxDirectory:
		return fmt.Sprintf("longer than %d bytes (%d)", maxDirectory, len(p))
	case !utf8.ValidString(p):
		return "not valid UTF-8"
	case strings.IndexFunc(p, invisible) >= 0:
		return fmt.Sprintf("%q contains a control or invisible character", p)
	case p == ".":
		return `"." is the tree root, not a directory of it`
	case strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/"):
		return fmt.Sprintf("%q must be relative to the tree root, without leading or trailing '/'", p)
	case path.Clean(p) != p || strings.HasPrefix(p, "../") || p == "..":
		return fmt.Sprintf("%q is not a clean path", p)
	case strings.ContainsAny(p, "<>&\"'\\\x00\n\r\t ?#%"):
		return fmt.Sprintf("%q contains characters not allowed in a directory name", p)
	}
	return ""
}

func validateRedirects(v *validator, rs []Redirect) {
	from := map[string]bool{}
	for _, r := range rs {
		from[r.From] = true
	}
	seen := map[string]bool{}
	for i, r := range rs {
		f := fmt.Sprintf("redirects[%d]", i)
		if !prefixRE.MatchString(r.From) {
			v.add(f+".from", r.From, "not a repository prefix")
		}
		if !prefixRE.MatchString(r.To) {
			v.add(f+".to", r.From, "not a repository prefix")
		}
		if r.From == r.To {
			v.add(f+".to", r.From, "redirects to itself")
		} else if from[r.To] {
			v.add(f+".to", r.From, "%q is itself redirected; point at the final repository", r.To)
		}
		if seen[r.From] {
			v.add(f+".from", r.From, "duplicate redirect")
		}
		seen[r.From] = true
	}
}

func validateScanRule(v *validator, f string, r ScanRule) {
	if _, err := regexp.Compile(r.Pattern); err != nil || r.Pattern == "" {
		v.add(f+".pattern", r.Pattern, "not a regular expression: %v", err)
	}
	if r.Repo == "" {
		v.add(f+".repo", r.Pattern, "a repository template is required")
	}
	if r.Arch == "" {
		v.add(f+".arch", r.Pattern, "an architecture template is required")
	}
}

func validateDirectory(v *validator, f string, d *Directory) {
	if msg := checkDirectory(d.Path); msg != "" {
		v.add(f+".path", d.Path, "%s", msg)
	}
	validateRepomd(v, f+".current", d.Path, &d.Current)
	if !d.Current.Superseded.IsZero() {
		v.add(f+".current.superseded", d.Path, "the current repomd cannot have been superseded")
	}
	for i := range d.Alternates {
		validateRepomd(v, fmt.Sprintf("%s.alternates[%d]", f, i), d.Path, &d.Alternates[i])
	}
}

func validateRepomd(v *validator, f, entry string, r *Repomd) {
	if r.Size < 0 {
		v.add(f+".size", entry, "negative size")
	}
	checkHex(v, f+".md5", entry, r.MD5, 32, true)
	checkHex(v, f+".sha1", entry, r.SHA1, 40, true)
	checkHex(v, f+".sha256", entry, r.SHA256, 64, false)
	checkHex(v, f+".sha512", entry, r.SHA512, 128, true)
}

func checkHex(v *validator, f, entry, s string, n int, optional bool) {
	if optional && s == "" {
		return
	}
	if !isHex(s, n) {
		v.add(f, entry, "must be %d lower-case hex digits", n)
	}
}

// isHex reports whether s is n lower-case hex digits. A loop, not a regular
// expression: a large network's dataset holds over a million of them.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// pairSet holds pairs of a mirror's and a directory's numbers: a bit each
// when every pair fits in a few MiB (a large network's 1,000 mirrors and
// 3,000 directories take 375 KiB), a map otherwise. Half a million
// freshness rows are checked for duplicates with it, in any order, without
// a map entry (or a sort) per row.
type pairSet struct {
	dirs int
	bits []uint64
	m    map[int]struct{}
}

// maxPairBits is the largest bit set a pairSet allocates: 8 MiB.
const maxPairBits = 1 << 26

func newPairSet(mirrors, dirs int) *pairSet {
	if n := mirrors * dirs; n <= maxPairBits {
		return &pairSet{dirs: dirs, bits: make([]uint64, (n+63)/64)}
	}
	return &pairSet{dirs: dirs, m: map[int]struct{}{}}
}

// add adds the pair and reports whether it was there already.
func (s *pairSet) add(mirror, dir int) bool {
	k := mirror*s.dirs + dir
	if s.m != nil {
		_, ok := s.m[k]
		s.m[k] = struct{}{}
		return ok
	}
	w, b := k/64, uint64(1)<<(k%64)
	had := s.bits[w]&b != 0
	s.bits[w] |= b
	return had
}

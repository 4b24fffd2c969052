// Package mirrorsync publishes the repositories of a master tree into one S3
// bucket per cloud region, in an order that never lets a client see a
// repomd.xml pointing at a file the bucket lacks, then reports each published
// repomd to the metalink server and collects what no valid repomd references.
package mirrorsync

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/metalinkd/metalinkd/internal/secret"
)

// Sentinel errors, tested with errors.Is.
var (
	// errConfig marks a configuration or usage error (exit code 2). Errors
	// made by configError match it without repeating its text.
	errConfig = errors.New("bad configuration")
	// ErrNotFound marks a file or object that does not exist.
	ErrNotFound = errors.New("not found")
	// errChecksum marks content whose size or checksum is not the expected one.
	errChecksum = errors.New("checksum mismatch")
	// ErrConflict marks a report the server refused because it does not
	// know that repomd (neither current nor a listed alternate).
	ErrConflict = errors.New("conflict")
	// ErrUnauthorized marks a token the server refused or that lacks scope.
	ErrUnauthorized = errors.New("unauthorized")
)

// Defaults of the tunables.
const (
	defaultConcurrency        = 8
	defaultGrace              = 96 * time.Hour
	defaultMultipartThreshold = 64 << 20
	defaultPartSize           = 16 << 20
	defaultMaxAttempts        = 6
	defaultMaxBackoff         = 20 * time.Second
	defaultRequestTimeout     = 2 * time.Minute
	defaultBucketTemplate     = "mirror-{region}"
	defaultPartConcurrency    = 4
	defaultConnectionFailures = 10
	defaultDeadline           = 8 * time.Hour
	defaultRegionDeadline     = 6 * time.Hour
)

// defaultReleasePrefixes are the master-tree prefixes that `retire --release N`
// removes when the configuration lists none ({release} is replaced by N).
var defaultReleasePrefixes = []string{"releases/{release}/", "updates/{release}/", "updates/testing/{release}/"}

// config is the whole configuration of a mirror-sync run, read from one YAML
// file; secrets (the report tokens) come from the environment only.
type config struct {
	// Source is the master tree: a local directory or an http(s) base URL.
	Source string `yaml:"source"`
	// Directories lists the repository directories to publish, relative to
	// the tree root. Empty means every directory holding repodata/repomd.xml
	// (local sources only).
	Directories []string `yaml:"directories"`
	// Server is the metalink server's base URL; empty disables reports.
	Server             string   `yaml:"server"`
	Concurrency        int      `yaml:"concurrency"`
	Grace              duration `yaml:"grace"`
	MultipartThreshold int64    `yaml:"multipart_threshold"`
	PartSize           int64    `yaml:"part_size"`
	MaxAttempts        int      `yaml:"max_attempts"`
	MaxBackoff         duration `yaml:"max_backoff"`
	// RequestTimeout bounds the wait for an S3 answer's headers; a request
	// that times out is retried like a throttled one.
	RequestTimeout duration `yaml:"request_timeout"`
	// PartConcurrency bounds the parts of one multipart upload in flight.
	PartConcurrency int `yaml:"part_concurrency"`
	// MaxConnectionFailures stops a region after that many consecutive
	// refused, reset or timed-out connections (0: the default).
	MaxConnectionFailures int `yaml:"max_connection_failures"`
	// Deadline bounds a whole sync run; RegionDeadline each region's part.
	Deadline       duration `yaml:"deadline"`
	RegionDeadline duration `yaml:"region_deadline"`
	// BucketTemplate names a region's bucket for provision; {region} is replaced.
	BucketTemplate string `yaml:"bucket_template"`
	// IPRanges is AWS's ip-ranges.json, a path or an http(s) URL.
	IPRanges        string   `yaml:"ip_ranges"`
	ReleasePrefixes []string `yaml:"release_prefixes"`
	Regions         []region `yaml:"regions"`
}

// region is one cloud region: its bucket, the prefix of the tree inside it,
// the credentials profile of its sync identity and its mirror's name on the
// metalink server.
type region struct {
	Name      string `yaml:"region"`
	Bucket    string `yaml:"bucket"`
	Prefix    string `yaml:"prefix"`
	Profile   string `yaml:"profile"`
	Mirror    string `yaml:"mirror"`
	Endpoint  string `yaml:"endpoint"`
	PathStyle bool   `yaml:"path_style"`
	// TokenEnv names the variable holding the mirror's report token
	// (or, with _FILE appended, a file holding it).
	TokenEnv string `yaml:"token_env"`
	// VPCEndpoints and VPCs restrict reads through VPC endpoints to these ids;
	// when both are empty any VPC endpoint is accepted, unless NoVPCEndpoints.
	VPCEndpoints   []string `yaml:"vpc_endpoints"`
	VPCs           []string `yaml:"vpcs"`
	NoVPCEndpoints bool     `yaml:"no_vpc_endpoints"`
	// SyncPrincipals are ARNs exempt from the read deny (the sync identity
	// when it runs outside the region).
	SyncPrincipals []string `yaml:"sync_principals"`

	token              string
	bucketFromTemplate bool
}

// duration is a time.Duration read from YAML as "96h", "90m" or "4d".
type duration time.Duration

// UnmarshalYAML parses a Go duration, also accepting a whole number of days.
func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseDuration(n.Value)
	if err != nil {
		// A TypeError keeps the line: the decoder reports it with the others.
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: duration %q: want a Go duration (90m, 96h) or whole days (4d)", n.Line, n.Value)}}
	}
	*d = duration(v)
	return nil
}

// parseDuration parses a Go duration or a whole number of days ("4d").
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, configError("duration %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return 0, configError("duration %q", s)
	}
	return v, nil
}

var regionName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// loadConfig reads the configuration file at file (or $MIRROR_SYNC_CONFIG when file
// is empty), applies defaults, reads tokens through getenv and validates.
func loadConfig(file string, getenv func(string) string) (*config, error) {
	if file == "" {
		file = getenv("MIRROR_SYNC_CONFIG")
	}
	if file == "" {
		return nil, configError("config: no file given (--config or MIRROR_SYNC_CONFIG)")
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, configError("config: %v", err)
	}
	var c config
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, yamlError(file, raw, err)
	}
	c.defaults()
	if err := c.validate(); err != nil {
		return nil, withLine(file, raw, err)
	}
	for i := range c.Regions {
		if c.Regions[i].token, err = secret.FromEnv(getenv, c.Regions[i].TokenEnv); err != nil {
			return nil, configError("config: token file from %v", err)
		}
	}
	return &c, nil
}

func (c *config) defaults() {
	if c.Concurrency <= 0 {
		c.Concurrency = defaultConcurrency
	}
	if c.Grace == 0 {
		c.Grace = duration(defaultGrace)
	}
	if c.MultipartThreshold <= 0 {
		c.MultipartThreshold = defaultMultipartThreshold
	}
	if c.PartSize <= 0 {
		c.PartSize = defaultPartSize
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = defaultMaxAttempts
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = duration(defaultMaxBackoff)
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = duration(defaultRequestTimeout)
	}
	if c.BucketTemplate == "" {
		c.BucketTemplate = defaultBucketTemplate
	}
	if c.PartConcurrency <= 0 {
		c.PartConcurrency = defaultPartConcurrency
	}
	if c.MaxConnectionFailures <= 0 {
		c.MaxConnectionFailures = defaultConnectionFailures
	}
	if c.Deadline <= 0 {
		c.Deadline = duration(defaultDeadline)
	}
	if c.RegionDeadline <= 0 {
		c.RegionDeadline = duration(defaultRegionDeadline)
	}
	if len(c.ReleasePrefixes) == 0 {
		c.ReleasePrefixes = defaultReleasePrefixes
	}
	c.Server = strings.TrimRight(c.Server, "/")
	for i := range c.Regions {
		r := &c.Regions[i]
		r.Prefix = strings.Trim(r.Prefix, "/")
		if r.Bucket == "" {
			r.Bucket = strings.ReplaceAll(c.BucketTemplate, "{region}", r.Name)
			r.bucketFromTemplate = true
		}
		if r.TokenEnv == "" {
			r.TokenEnv = "MIRROR_SYNC_TOKEN_" + strings.ToUpper(strings.ReplaceAll(r.Name, "-", "_"))
		}
	}
}

func (c *config) validate() error {
	if c.Source == "" {
		return fieldError("source", "is required")
	}
	if len(c.Regions) == 0 {
		return fieldError("regions", "at least one region is required")
	}
	for i, d := range c.Directories {
		if d != cleanDir(d) || d == "" {
			return fieldError(fmt.Sprintf("directories[%d]", i), "%q must be relative and clean, without leading or trailing slash", d)
		}
	}
	seen := map[string]bool{}
	for i, r := range c.Regions {
		at := func(field string) string { return fmt.Sprintf("regions[%d].%s", i, field) }
		switch {
		case !regionName.MatchString(r.Name):
			return fieldError(at("region"), "%q is not a region name (lower-case letters, digits and hyphens)", r.Name)
		case seen[r.Name]:
			return fieldError(at("region"), "%q is listed twice", r.Name)
		case r.Mirror == "":
			return fieldError(at("mirror"), "is required (the mirror's name on the server)")
		case !bucketName.MatchString(r.Bucket) || strings.Contains(r.Bucket, ".."):
			field := at("bucket")
			if c.Regions[i].bucketFromTemplate {
				field = "bucket_template"
			}
			return fieldError(field, "%q is not a valid S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)", r.Bucket)
		}
		seen[r.Name] = true
	}
	return nil
}

var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// region returns the configured region called name.
func (c *config) region(name string) (*region, error) {
	for i := range c.Regions {
		if c.Regions[i].Name == name {
			return &c.Regions[i], nil
		}
	}
	return nil, configError("region %q is not configured", name)
}

// hasToken reports whether a report token was found for the region.
func (r *region) hasToken() bool { return r.token != "" }

// cleanDir returns d as a clean tree-relative directory ("" for the root).
func cleanDir(d string) string {
	d = path.Clean("/" + d)
	return strings.TrimPrefix(d, "/")
}

package clientinit

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/template"
	"time"
)

// defaultEndpoint is the link-local address where AWS, GCP and Azure all
// serve instance metadata. An address, not a name, so that a guest outside
// a cloud sends no DNS query.
const defaultEndpoint = "http://169.254.169.254"

// defaultTimeout bounds the whole detection. Metadata services answer in
// milliseconds; outside a cloud the run must end within 2 seconds.
const defaultTimeout = 1500 * time.Millisecond

// config is the configuration of a region detection run.
type config struct {
	Provider         string        // "auto", "aws", "gcp" or "azure"
	AllowIMDSv1      bool          // fall back to AWS IMDSv1 when tokens are refused
	Timeout          time.Duration // bound of the whole detection
	AWSEndpoint      string        // base URL of EC2's metadata service
	GCPEndpoint      string        // base URL of GCE's metadata server
	AzureEndpoint    string        // base URL of Azure's metadata service
	Format           string        // text/template making the location name
	Root             string        // directory the etc/ paths are under
	RemoveWhenAbsent bool          // remove stale location files off-cloud
	DryRun           bool          // print the location name, write nothing

	format *template.Template
}

// parseFlags reads a config from the command line arguments (without the
// program name). Help and errors go to output. It returns flag.ErrHelp for
// -h, or an error wrapping errUsage.
func parseFlags(args []string, output io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("client-init", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&cfg.Provider, "provider", "auto", "cloud to ask: auto (all at once), aws, gcp or azure")
	fs.BoolVar(&cfg.AllowIMDSv1, "allow-imdsv1", false, "on AWS, read metadata without a session token when IMDSv2 is refused")
	fs.DurationVar(&cfg.Timeout, "timeout", defaultTimeout, "bound of the whole metadata detection")
	fs.StringVar(&cfg.AWSEndpoint, "aws-endpoint", defaultEndpoint, "base URL of AWS's instance metadata service")
	fs.StringVar(&cfg.GCPEndpoint, "gcp-endpoint", defaultEndpoint, "base URL of GCP's metadata server")
	fs.StringVar(&cfg.AzureEndpoint, "azure-endpoint", defaultEndpoint, "base URL of Azure's instance metadata service")
	fs.StringVar(&cfg.Format, "format", "{{.Region}}", "Go template of the location name, with {{.Provider}} and {{.Region}}")
	fs.StringVar(&cfg.Root, "root", "/", "root directory of the etc/dnf/vars and etc/yum/vars files")
	fs.BoolVar(&cfg.RemoveWhenAbsent, "remove-when-absent", false, "remove the location files when no metadata service answers")
	fs.BoolVar(&cfg.DryRun, "dry-run", false, "print the location name and change no file")
	fs.Usage = func() { usage(fs, runUsage) }
	if err := fs.Parse(args); err != nil {
		return config{}, usageError(err)
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return config{}, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return cfg, cfg.validate()
}

func (cfg *config) validate() error {
	switch cfg.Provider {
	case "auto", "aws", "gcp", "azure":
	default:
		return fmt.Errorf("%w: --provider %q: want auto, aws, gcp or azure", errUsage, cfg.Provider)
	}
	if cfg.Timeout <= 0 {
		return fmt.Errorf("%w: --timeout must be positive", errUsage)
	}
	for _, ep := range []*string{&cfg.AWSEndpoint, &cfg.GCPEndpoint, &cfg.AzureEndpoint} {
		u, err := url.Parse(*ep)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: endpoint %q: want http://HOST[:PORT]", errUsage, *ep)
		}
		*ep = strings.TrimRight(*ep, "/")
	}
	tmpl, err := template.New("format").Option("missingkey=error").Parse(cfg.Format)
	if err != nil {
		return fmt.Errorf("%w: --format: %v", errUsage, err)
	}
	cfg.format = tmpl
	if cfg.Root == "" {
		return fmt.Errorf("%w: --root must not be empty", errUsage)
	}
	return nil
}

// usageError passes flag.ErrHelp through and marks other flag errors as
// usage errors.
func usageError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return fmt.Errorf("%w: %v", errUsage, err)
}

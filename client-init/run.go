package clientinit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/metalinkd/metalinkd/internal/location"
)

// run detects the guest's region and brings the location files under
// cfg.Root up to date. Its error wraps one of the package's sentinel
// errors; exitCode turns it into the command's exit code. With --dry-run
// the location name goes to stdout and no file changes.
func run(ctx context.Context, cfg config, log *slog.Logger, stdout io.Writer) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	placement, err := detect(ctx, cfg.providers())
	cancel()
	paths := varsPaths(cfg.Root)
	switch {
	case errors.Is(err, errNoMetadata):
		return cfg.whenAbsent(paths, err, log)
	case err != nil:
		log.Error("metadata service gave an unusable answer; location files left alone", "err", err)
		return err
	}
	name, err := cfg.locationName(placement)
	if err != nil {
		log.Error("location files left alone", "err", err, "provider", placement.Provider, "region", placement.Region)
		return err
	}
	if cfg.DryRun {
		_, err := fmt.Fprintln(stdout, name)
		return err
	}
	written, err := writeLocation(paths, name)
	if err != nil {
		log.Error("cannot write location file", "err", err)
		return err
	}
	log.Info("location files current", "location", name, "provider", placement.Provider, "region", placement.Region,
		"written", strings.Join(written, ","), "unchanged", len(paths)-len(written))
	return nil
}

// whenAbsent handles a run where no metadata service answered: the files are
// left alone, or with --remove-when-absent removed. It returns err, or the
// error that stopped a removal.
func (cfg config) whenAbsent(paths []string, err error, log *slog.Logger) error {
	if !cfg.RemoveWhenAbsent || cfg.DryRun {
		log.Info("no metadata service answered; location files left alone", "reason", err)
		return err
	}
	log.Info("no metadata service answered; removing location files", "reason", err)
	removed, rerr := removeLocation(paths)
	for _, path := range removed {
		log.Info("removed stale location file", "path", path)
	}
	if rerr != nil {
		log.Error("cannot remove location file", "err", rerr)
		return rerr
	}
	return err
}

// locationName makes the location name from the placement with --format
// and checks it against the server's location grammar.
func (cfg config) locationName(p placement) (string, error) {
	var b strings.Builder
	if err := cfg.format.Execute(&b, p); err != nil {
		return "", fmt.Errorf("%w: --format: %v", errInvalidLocation, err)
	}
	name := b.String()
	if !location.Valid(name) {
		return "", fmt.Errorf("%w: %q (from --format %q)", errInvalidLocation, name, cfg.Format)
	}
	return name, nil
}

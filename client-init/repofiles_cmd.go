package clientinit

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
)

// repoFilesConfig is the configuration of the repo-files subcommand.
type repoFilesConfig struct {
	Root     string // directory ReposDir is under
	ReposDir string // where the *.repo files are, relative to Root
	Check    bool   // report the files that need a change, write nothing
}

// parseRepoFilesFlags reads a repoFilesConfig from the arguments after
// "repo-files". It returns flag.ErrHelp for -h, or an error wrapping errUsage.
func parseRepoFilesFlags(args []string, output io.Writer) (repoFilesConfig, error) {
	var cfg repoFilesConfig
	fs := flag.NewFlagSet("client-init repo-files", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&cfg.Root, "root", "/", "root directory the repository directory is under")
	fs.StringVar(&cfg.ReposDir, "repos-dir", "/etc/yum.repos.d", "directory of the *.repo files, under --root")
	fs.BoolVar(&cfg.Check, "check", false, "only print the files that need a change (exit code 6 if any)")
	fs.Usage = func() { usage(fs, repoFilesUsage) }
	if err := fs.Parse(args); err != nil {
		return repoFilesConfig{}, usageError(err)
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return repoFilesConfig{}, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return cfg, nil
}

// repoFiles makes every metalink= line of the *.repo files end with
// &location=$location, or with Check prints the files that would change
// and returns errNeedsChange if there are any.
func repoFiles(cfg repoFilesConfig, log *slog.Logger, stdout io.Writer) error {
	paths, err := filepath.Glob(filepath.Join(cfg.Root, cfg.ReposDir, "*.repo"))
	if err != nil {
		return fmt.Errorf("%w: --repos-dir: %v", errUsage, err)
	}
	stale := 0
	for _, path := range paths {
		info, err := os.Lstat(path)
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			log.Warn("skipping repository file that is not a regular file", "path", path)
			continue
		}
		old, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fixed, changed := addLocation(string(old))
		if !changed {
			continue
		}
		stale++
		if cfg.Check {
			fmt.Fprintln(stdout, path)
			continue
		}
		if err := writeFileAtomic(path, []byte(fixed), info.Mode().Perm(), info); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		log.Info("added location to metalink lines", "path", path)
	}
	if cfg.Check && stale > 0 {
		return fmt.Errorf("%w: %d of %d files", errNeedsChange, stale, len(paths))
	}
	log.Info("repository files in order", "files", len(paths), "changed", stale)
	return nil
}

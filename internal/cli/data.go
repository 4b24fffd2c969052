package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"github.com/metalinkd/metalinkd/internal/mirrorsfile"
	"github.com/metalinkd/metalinkd/internal/scan"
	"github.com/metalinkd/metalinkd/store"
)

func runImport(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "import", "[flags] FILE",
		"Load a mirrors file (YAML or JSON; '-' reads standard input). The file's locations, mirrors,\n"+
			"repositories, redirects and scan rules replace the stored ones; scanned directories and the\n"+
			"freshness of mirrors that remain are kept. A file written by 'export' restores everything.\n"+
			"The file is validated first: on any error nothing is changed.")
	choice := storeFlags(env, fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"want exactly one FILE"}
	}
	in, err := openInput(env, fs.Arg(0))
	if err != nil {
		return err
	}
	defer in.Close()
	mf, err := mirrorsfile.Parse(in)
	if err != nil {
		return err
	}
	st, err := choice.open(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	if mf.Complete {
		err = st.Restore(ctx, mf.Dataset)
	} else {
		err = st.Import(ctx, mf.Dataset)
	}
	if err != nil {
		return err
	}
	d := mf.Dataset
	fmt.Fprintf(env.Stdout, "imported %d mirrors, %d locations, %d repositories, %d redirects\n",
		len(d.Mirrors), len(d.Locations), len(d.Repositories), len(d.Redirects))
	return nil
}

func runExport(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "export", "[flags]",
		"Write the store to standard output as a mirrors file, including the scanned directories\n"+
			"and freshness, so that 'import' of the output restores the store exactly.")
	choice := storeFlags(env, fs)
	declOnly := fs.Bool("declarative", false, "leave out scanned directories and freshness (a plain mirrors file)")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := choice.open(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	d, err := st.Load(ctx)
	if err != nil {
		return err
	}
	return mirrorsfile.Write(env.Stdout, d, !*declOnly)
}

func runScan(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "scan", "--root DIR [flags]",
		"Walk the master tree, find every repodata/repomd.xml and record its size, timestamp and\n"+
			"md5/sha1/sha256/sha512. A changed repomd.xml becomes current and the previous one an\n"+
			"alternate, accepted until it is older than --max-age. Directories are mapped to\n"+
			"repositories by the mirrors file's scan_rules, then by Fedora's layout.")
	choice := storeFlags(env, fs)
	root := fs.String("root", env.Getenv("METALINKD_MASTER_ROOT"), "`directory` of the master tree (env METALINKD_MASTER_ROOT)")
	maxAge := fs.Duration("max-age", store.DefaultAlternateMaxAge, "how long a superseded repomd.xml stays acceptable")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *root == "" {
		return usageError{"--root is required"}
	}
	if *maxAge < 0 {
		return usageError{"--max-age must not be negative"}
	}
	st, err := choice.open(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	d, err := st.Load(ctx)
	if err != nil {
		return err
	}
	found, err := scan.Tree(*root, store.NewMapper(d.ScanRules))
	if err != nil {
		return err
	}
	sum, err := st.RecordScan(ctx, found, time.Now(), *maxAge)
	if err != nil {
		return err
	}
	for _, s := range found {
		if s.Repo == "" {
			fmt.Fprintf(env.Stderr, "note: %s matches no scan rule; add a repository for it to serve it\n", s.Directory)
		}
	}
	fmt.Fprintf(env.Stdout, "scanned %d directories: %d changed, %d unchanged, %d repositories created, %d alternates expired\n",
		len(found), len(sum.Changed), sum.Unchanged, sum.Repositories, sum.Expired)
	return nil
}

func runExpire(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "expire", "--directory DIR [flags]",
		"Drop every alternate repomd.xml of a directory at once, so that only mirrors carrying the\n"+
			"current one are listed (for example after a bad compose was replaced).")
	choice := storeFlags(env, fs)
	d := fs.String("directory", "", "the `directory`, relative to the master tree root")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *d == "" {
		return usageError{"--directory is required"}
	}
	st, err := choice.open(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.ExpireAlternates(ctx, *d); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "expired the alternates of %s\n", *d)
	return nil
}

// openInput opens a named file, or standard input for "-".
func openInput(env Env, name string) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(env.Stdin), nil
	}
	return os.Open(name)
}

var sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

func runReport(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "report", "--mirror NAME --directory DIR [--sha256 HEX] [flags]",
		"Record that a mirror serves the repomd.xml with the given sha256 for a directory (default:\n"+
			"the directory's current one). It is refused unless that is the current repomd.xml or a\n"+
			"listed alternate. A mirror not flagged always_up_to_date is listed for a directory only\n"+
			"while such a report holds.")
	choice := storeFlags(env, fs)
	mirror := fs.String("mirror", "", "the mirror's `name`")
	d := fs.String("directory", "", "the `directory`, relative to the master tree root")
	sum := fs.String("sha256", "", "lower-case `hex` sha256 of the repomd.xml the mirror serves")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *mirror == "" || *d == "" {
		return usageError{"--mirror and --directory are required"}
	}
	if *sum != "" && !sha256RE.MatchString(*sum) {
		return usageError{"--sha256 must be 64 lower-case hex digits"}
	}
	st, err := choice.open(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	if *sum == "" {
		data, err := st.Load(ctx)
		if err != nil {
			return err
		}
		for _, x := range data.Directories {
			if x.Path == *d {
				*sum = x.Current.SHA256
			}
		}
		if *sum == "" {
			return fmt.Errorf("directory %q: %w (run scan first)", *d, store.ErrNotFound)
		}
	}
	if err := st.Report(ctx, store.Freshness{Mirror: *mirror, Directory: *d, SHA256: *sum, Reported: time.Now().UTC()}); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s serves %s for %s\n", *mirror, *sum, *d)
	return nil
}

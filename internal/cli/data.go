package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/metalinkd/metalinkd/internal/mirrorsfile"
	"github.com/metalinkd/metalinkd/internal/scan"
	"github.com/metalinkd/metalinkd/store"
)

// importAbout is the help text of import.
const importAbout = "Load a mirrors file (YAML or JSON; '-' reads standard input). The file's locations, mirrors,\n" +
	"repositories, redirects and scan rules are added to the store or replace the stored ones of\n" +
	"the same name; scanned directories, the repositories the scan derives from them and the\n" +
	"freshness of mirrors that remain are kept. A file written by 'export' restores everything.\n" +
	"\n" +
	"Import refuses to remove what the store holds and the file lacks (a mirror added through\n" +
	"the admin API, say; with an export, anything) unless told what to do with it: --replace\n" +
	"removes it, --merge keeps it. --dry-run prints what would be added (+), removed (-) and\n" +
	"changed (~, with the fields) and changes nothing.\n" +
	"\n" +
	"The file is validated first: on any error nothing is changed. The store is read, compared\n" +
	"and written in two steps, not one transaction: a change made through the admin API while\n" +
	"an import runs is not seen by the check and may be undone by it.\n" +
	"\n" +
	"A file that holds only 'freshness:' rows (mirror, directory, sha256, reported) records them\n" +
	"as reports, in bulk, whatever their source: each is checked as 'report' checks it (a mirror\n" +
	"the crawler saw serving something else is refused), and one refused refuses all.\n" +
	"\n" +
	"YAML files are limited to 64 MiB; JSON files are read as a stream and have no limit, so\n" +
	"large networks are best exported with --format json.\n" +
	"\n" +
	"'import --from-mirrormanager2 URL' imports a MirrorManager2 database instead; see\n" +
	"'metalinkd import --from-mirrormanager2= -h'.\n" +
	"\n" +
	"Exit codes: 0 imported (or dry run), 1 failed or invalid file, 2 bad usage or a removal\n" +
	"refused for want of --replace or --merge."

func runImport(ctx context.Context, env Env, args []string) error {
	if wantsMirrorManager2(args) {
		return runImportMM2(ctx, env, args)
	}
	fs := newFlagSet(env, "import", "[--dry-run] [--replace | --merge] [flags] FILE", importAbout)
	choice := storeFlags(env, fs)
	dryRun := fs.Bool("dry-run", false, "print what the import would change, and change nothing")
	replace := fs.Bool("replace", false, "remove stored entries the file lacks (with an export: everything not in it)")
	merge := fs.Bool("merge", false, "keep stored entries the file lacks: only add and update")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"want exactly one FILE"}
	}
	if *replace && *merge {
		return usageError{"--replace and --merge exclude each other"}
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
	st, err := choice.resolveAndOpen(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	if mf.FreshnessOnly {
		return importFreshness(ctx, env, st, mf.Dataset.Freshness, *dryRun)
	}
	stored, err := st.Load(ctx)
	if err != nil {
		return err
	}
	plan, err := planImport(stored, mf, *merge)
	if err != nil {
		return err
	}
	if *dryRun {
		writeDiff(env.Stdout, plan.diff)
		fmt.Fprintf(env.Stdout, "dry run: %s; nothing was changed\n", summarize(plan.diff, "would add", "remove", "change"))
		if len(plan.diff.Removals()) > 0 && !*replace && !*merge {
			fmt.Fprintln(env.Stdout, "note: without --replace or --merge the import refuses to remove entries")
		}
		return nil
	}
	if removed := plan.diff.Removals(); len(removed) > 0 && !*replace && !*merge {
		return refusal(removed)
	}
	switch {
	case plan.diff.Empty():
		// The store holds the file already (a re-import of an export, say):
		// rewriting a large network to the same rows would cost minutes.
	case mf.Complete:
		err = st.Restore(ctx, plan.apply)
	default:
		err = st.Import(ctx, plan.apply)
	}
	if err != nil {
		return err
	}
	d := mf.Dataset
	fmt.Fprintf(env.Stdout, "imported %d mirrors, %d locations, %d repositories, %d redirects\n",
		len(d.Mirrors), len(d.Locations), len(d.Repositories), len(d.Redirects))
	writeDiff(env.Stdout, plan.diff)
	fmt.Fprintf(env.Stdout, "summary: %s\n", summarize(plan.diff, "added", "removed", "changed"))
	return nil
}

// importPlan is what an import hands to the store and what that changes.
type importPlan struct {
	apply *store.Dataset // for Store.Import, or Store.Restore with a complete file
	diff  store.Diff     // the stored dataset against the result
}

// planImport works out, from the stored dataset, what importing mf gives:
// the stores' own Import or Restore applied to a copy, validated as they
// validate it. Repositories the scan derives from the stored directories
// are derived again by Import, so a file that lacks them does not remove
// them.
//
// It normalises stored in place: the caller hands over a dataset it just
// loaded, which at the scale of a large network is not worth a copy.
func planImport(stored *store.Dataset, mf *mirrorsfile.File, merge bool) (importPlan, error) {
	stored.Normalize()
	var p importPlan
	var after *store.Dataset
	switch {
	case mf.Complete && merge:
		p.apply = store.MergeAll(stored, mf.Dataset)
	case mf.Complete:
		p.apply = mf.Dataset
	case merge:
		p.apply = store.Merge(stored, mf.Dataset)
	default:
		p.apply = mf.Dataset
	}
	if mf.Complete {
		// Restored as is, so normalised in place: an export's freshness is
		// the bulk of a large network, not worth a copy.
		after = p.apply
	} else {
		after = stored.Copy()
		after.ApplyImport(p.apply.Copy())
	}
	after.Normalize()
	if err := after.Validate(); err != nil {
		if merge {
			return p, fmt.Errorf("the file merged with the store: %w", err)
		}
		return p, err
	}
	if mf.Complete {
		p.diff = store.DiffAll(stored, after)
	} else {
		p.diff = store.DiffDeclarative(stored, after)
	}
	return p, nil
}

// maxNamed is how many entries a refusal names before "and N more".
const maxNamed = 5

// refusal is the error of an import that would remove stored entries
// without --replace or --merge: the admin must say which is meant.
func refusal(removed []string) error {
	named := strings.Join(removed[:min(len(removed), maxNamed)], ", ")
	if n := len(removed) - maxNamed; n > 0 {
		named += fmt.Sprintf(" and %d more", n)
	}
	entries := "entries"
	if len(removed) == 1 {
		entries = "entry"
	}
	return usageError{fmt.Sprintf("refused: the store holds %d %s the file lacks, which the import would remove: %s; "+
		"pass --replace to remove them or --merge to keep them (add and update only); --dry-run lists every change",
		len(removed), entries, named)}
}

// writeDiff prints the declarative kinds entry by entry (+ added, - removed,
// ~ changed with its fields) and the other kinds as counts.
func writeDiff(w io.Writer, d store.Diff) {
	for _, k := range d {
		if !k.Declarative {
			if !k.Empty() {
				fmt.Fprintf(w, "%s: %d added, %d removed, %d changed\n", k.Plural, len(k.Added), len(k.Removed), len(k.Changed))
			}
			continue
		}
		for _, key := range k.Added {
			fmt.Fprintf(w, "+ %s %s\n", k.Kind, key)
		}
		for _, key := range k.Removed {
			fmt.Fprintf(w, "- %s %s\n", k.Kind, key)
		}
		for _, c := range k.Changed {
			fmt.Fprintf(w, "~ %s %s: %s\n", k.Kind, c.Key, strings.Join(c.Fields, ", "))
		}
		if k.Reordered {
			fmt.Fprintf(w, "~ %s: order\n", k.Plural)
		}
	}
}

// summarize says in one line how many entries are added, removed and
// changed, and of which kinds, with the verbs given.
func summarize(d store.Diff, add, remove, change string) string {
	var added, removed, changed int
	var kinds []string
	for _, k := range d {
		if k.Empty() {
			continue
		}
		added, removed, changed = added+len(k.Added), removed+len(k.Removed), changed+len(k.Changed)
		part := k.Plural
		for _, c := range []struct {
			sign string
			n    int
		}{{"+", len(k.Added)}, {"-", len(k.Removed)}, {"~", len(k.Changed)}} {
			if c.n > 0 {
				part += fmt.Sprintf(" %s%d", c.sign, c.n)
			}
		}
		if k.Reordered {
			part += " reordered"
		}
		kinds = append(kinds, part)
	}
	if len(kinds) == 0 {
		return "no changes"
	}
	return fmt.Sprintf("%s %d, %s %d, %s %d (%s)", add, added, remove, removed, change, changed, strings.Join(kinds, ", "))
}

func runExport(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "export", "[flags]",
		"Write the store to standard output as a mirrors file, including the scanned directories\n"+
			"and freshness, so that 'import' of the output restores the store exactly.")
	choice := storeFlags(env, fs)
	declOnly := fs.Bool("declarative", false, "leave out scanned directories and freshness (a plain mirrors file)")
	format := fs.String("format", string(mirrorsfile.YAML), "`yaml` or json; import reads JSON as a stream, with no size limit, so use it for large networks")
	if err := parse(fs, args); err != nil {
		return err
	}
	f := mirrorsfile.Format(*format)
	if f != mirrorsfile.YAML && f != mirrorsfile.JSON {
		return usageError{"--format must be yaml or json"}
	}
	st, err := choice.resolveAndOpen(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	if ex, ok := st.(exporter); ok {
		return ex.Export(ctx, func(d *store.Dataset, rows func(yield func(store.Freshness) error) error) error {
			return mirrorsfile.Write(env.Stdout, f, d, !*declOnly, rows)
		})
	}
	d, err := st.Load(ctx)
	if err != nil {
		return err
	}
	return mirrorsfile.Write(env.Stdout, f, d, !*declOnly, nil)
}

// exporter is a store that hands out its freshness one row at a time, from
// the same snapshot as the rest of the dataset (the embedded store), so
// that export holds no more than the declarative part and directories.
type exporter interface {
	Export(ctx context.Context, fn func(d *store.Dataset, rows func(yield func(store.Freshness) error) error) error) error
}

// loadWithoutFreshness returns the dataset, without its freshness when the
// store can leave it out: at the scale of a large network it is most of it.
func loadWithoutFreshness(ctx context.Context, st store.Store) (*store.Dataset, error) {
	ex, ok := st.(exporter)
	if !ok {
		return st.Load(ctx)
	}
	var d *store.Dataset
	err := ex.Export(ctx, func(head *store.Dataset, _ func(yield func(store.Freshness) error) error) error {
		d = head
		return nil
	})
	return d, err
}

// freshnessLoader is a store that records many freshness reports in one
// transaction (the embedded store).
type freshnessLoader interface {
	LoadFreshness(ctx context.Context, fs []store.Freshness) error
}

// checkReports refuses rows unless the store would accept every one of
// them as a report, read once for all (store.Dataset.ApplyReport decides).
func checkReports(ctx context.Context, st store.Store, rows []store.Freshness) error {
	mirrors, err := st.Mirrors(ctx)
	if err != nil {
		return err
	}
	dirs, err := st.Directories(ctx, "")
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(mirrors))
	for _, m := range mirrors {
		known[m.Name] = true
	}
	byPath := make(map[string]store.Directory, len(dirs))
	for _, d := range dirs {
		byPath[d.Path] = d
	}
	for i, f := range rows {
		d := &store.Dataset{}
		if known[f.Mirror] {
			d.Mirrors = []store.Mirror{{Name: f.Mirror}}
		}
		if dir, ok := byPath[f.Directory]; ok {
			d.Directories = []store.Directory{dir}
		}
		if err := d.ApplyReport(f); err != nil {
			return fmt.Errorf("freshness[%d]: %w", i, err)
		}
	}
	return nil
}

// importFreshness records the reports of a file that holds only freshness:
// each is checked as 'report' checks it, and all are recorded or none.
// Stores without a bulk path record them one report at a time.
func importFreshness(ctx context.Context, env Env, st store.Store, rows []store.Freshness, dryRun bool) error {
	if dryRun {
		fmt.Fprintf(env.Stdout, "dry run: would record %d freshness reports; nothing was changed\n", len(rows))
		return nil
	}
	for i := range rows {
		rows[i].Source = "" // reports, whatever the file says
	}
	if l, ok := st.(freshnessLoader); ok {
		if err := l.LoadFreshness(ctx, rows); err != nil {
			return err
		}
	} else {
		if err := checkReports(ctx, st, rows); err != nil {
			return err
		}
		for i, f := range rows {
			if err := st.Report(ctx, f); err != nil {
				return fmt.Errorf("freshness[%d]: %w (the %d before it were recorded)", i, err, i)
			}
		}
	}
	fmt.Fprintf(env.Stdout, "recorded %d freshness reports\n", len(rows))
	return nil
}

func runScan(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "scan", "--root DIR [flags]",
		"Walk the master tree, find every repodata/repomd.xml and record its size, timestamp and\n"+
			"md5/sha1/sha256/sha512. A changed repomd.xml becomes current and the previous one an\n"+
			"alternate, accepted until it is older than --max-age. Directories are mapped to\n"+
			"repositories by the mirrors file's scan_rules, then by Fedora's layout.\n"+
			"Every directory of the tree is recorded too, and the size, time and sha256 of the files\n"+
			"--files chooses (Fedora's images by default), the sha256 read from the *CHECKSUM files\n"+
			"next to them (signed or not; BSD or GNU lines).")
	choice := storeFlags(env, fs)
	root := fs.String("root", env.Getenv("METALINKD_MASTER_ROOT"), "`directory` of the master tree (env METALINKD_MASTER_ROOT)")
	maxAge := fs.Duration("max-age", store.DefaultAlternateMaxAge, "how long a superseded repomd.xml stays acceptable")
	files := fs.String("files", strings.Join(scan.FedoraImagePatterns, ","),
		"comma list of base-name `patterns` (path.Match) of the files whose details are recorded; \"\" for none")
	hashMissing := fs.Bool("hash-missing", false,
		"compute the sha256 of a chosen file no CHECKSUM file names (reads the whole file); without it such a file has only its size and time")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *root == "" {
		return usageError{"--root is required"}
	}
	if *maxAge < 0 {
		return usageError{"--max-age must not be negative"}
	}
	patterns := []string{}
	for _, p := range strings.Split(*files, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, err := path.Match(p, ""); err != nil {
			return usageError{fmt.Sprintf("--files: %q is not a pattern", p)}
		}
		patterns = append(patterns, p)
	}
	st, err := choice.resolveAndOpen(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	d, err := loadWithoutFreshness(ctx, st)
	if err != nil {
		return err
	}
	res, err := scan.Walk(*root, store.NewMapper(d.ScanRules), scan.Options{Patterns: patterns, HashMissing: *hashMissing})
	if err != nil {
		return err
	}
	found := res.Repomds
	sum, err := st.RecordScan(ctx, found, time.Now(), *maxAge)
	if err != nil {
		return err
	}
	tree, err := st.RecordTree(ctx, res.Directories, res.Files)
	if err != nil {
		return err
	}
	for _, s := range found {
		if s.Repo == "" {
			fmt.Fprintf(env.Stderr, "note: %s matches no scan rule; add a repository for it to serve it\n", s.Directory)
		}
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(env.Stderr, "note: left out %s\n", s)
	}
	fmt.Fprintf(env.Stdout, "scanned %d directories: %d changed, %d unchanged, %d repositories created, %d alternates expired\n",
		len(found), len(sum.Changed), sum.Unchanged, sum.Repositories, sum.Expired)
	unhashed := 0
	for _, f := range res.Files {
		if f.SHA256 == "" {
			unhashed++
		}
	}
	fmt.Fprintf(env.Stdout, "tree: %d directories (%d added, %d removed), %d files (%d changed, %d removed, %d without sha256)\n",
		len(res.Directories), tree.DirectoriesAdded, tree.DirectoriesRemoved, len(res.Files), tree.FilesChanged, tree.FilesRemoved, unhashed)
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
	st, err := choice.resolveAndOpen(ctx, env)
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
	st, err := choice.resolveAndOpen(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	if *sum == "" {
		dir, err := st.Directory(ctx, *d)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("directory %q: %w (run scan first)", *d, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		*sum = dir.Current.SHA256
	}
	if err := st.Report(ctx, store.Freshness{Mirror: *mirror, Directory: *d, SHA256: *sum, Reported: time.Now().UTC()}); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s serves %s for %s\n", *mirror, *sum, *d)
	return nil
}

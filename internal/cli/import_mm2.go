package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/metalinkd/metalinkd/internal/mm2"
	"github.com/metalinkd/metalinkd/internal/secret"
	"github.com/metalinkd/metalinkd/store"
)

// importMM2About is the help text of import --from-mirrormanager2.
const importMM2About = "Import a MirrorManager2 database: its hosts and sites become mirrors (named with --prefix),\n" +
	"with their URLs, netblocks and ASN; its repositories, redirects, locations, repomd.xml\n" +
	"file details (with MirrorManager's ageing of alternates) and up2date rows become\n" +
	"repositories, redirects, locations, directories and freshness. The database is read in one\n" +
	"read-only transaction and the store written in one transaction.\n" +
	"\n" +
	"The import owns the mirrors whose name starts with --prefix, the repositories, redirects\n" +
	"and directories of the imported categories' trees, and its mirrors' freshness; a re-import\n" +
	"changes only those, and only where the database changed. Everything else (regional\n" +
	"buckets, mirrors added through the admin API, locations, scan rules, cloud ranges, tokens)\n" +
	"is left alone. Whatever cannot be mapped is listed with its table and row.\n" +
	"\n" +
	"--dry-run prints the plan and the unmapped rows and changes nothing. --every repeats the\n" +
	"import at that interval until SIGINT or SIGTERM, to keep a running server in step.\n" +
	"The URL may also come from MIRRORMANAGER2_URL, or a file named by MIRRORMANAGER2_URL_FILE.\n" +
	"\n" +
	"Exit codes: 0 imported (or dry run), 1 failed, 2 bad usage."

// wantsMirrorManager2 reports whether import's arguments ask for a
// MirrorManager2 database rather than a mirrors file.
func wantsMirrorManager2(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name := strings.TrimLeft(a, "-")
		if strings.HasPrefix(a, "-") && (name == "from-mirrormanager2" || strings.HasPrefix(name, "from-mirrormanager2=")) {
			return true
		}
	}
	return false
}

func runImportMM2(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "import", "--from-mirrormanager2 URL [--dry-run] [--every DURATION] [flags]", importMM2About)
	choice := storeFlags(env, fs)
	from := fs.String("from-mirrormanager2", "", "PostgreSQL `URL` of the MirrorManager2 database (read only)")
	dryRun := fs.Bool("dry-run", false, "print the plan and the unmapped rows, and change nothing")
	every := fs.Duration("every", 0, "repeat the import at this `interval` until stopped (0: once)")
	prefix := fs.String("prefix", mm2.DefaultPrefix, "start of the names of the mirrors the import writes and owns")
	categories := fs.String("category", "", "comma list of the MirrorManager2 `categories` to import (default: all)")
	maxStale := fs.Duration("max-stale", mm2.DefaultMaxStale, "MirrorManager's max_stale_days: older alternates are dropped")
	maxProp := fs.Duration("max-propagation", mm2.DefaultMaxPropagation, "MirrorManager's max_propogation_days: the previous repomd stays this long after a new one")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{fmt.Sprintf("unexpected argument %q: --from-mirrormanager2 takes no FILE", fs.Arg(0))}
	}
	switch {
	case *every < 0:
		return usageError{"--every must not be negative"}
	case *every > 0 && *dryRun:
		return usageError{"--every and --dry-run exclude each other"}
	case *prefix == "" || !strings.ContainsAny((*prefix)[:1], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"):
		return usageError{"--prefix must start with a letter or digit"}
	}
	url := *from
	if url == "" {
		var err error
		if url, err = secret.FromEnv(env.Getenv, "MIRRORMANAGER2_URL"); err != nil {
			return err
		}
	}
	if url == "" {
		return usageError{"--from-mirrormanager2 needs the database URL (or MIRRORMANAGER2_URL)"}
	}
	opts := mm2.Options{Prefix: *prefix, MaxStale: *maxStale, MaxPropagation: *maxProp}
	if *categories != "" {
		opts.Categories = strings.Split(*categories, ",")
	}
	st, err := choice.resolveAndOpen(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	if *every == 0 {
		return importMM2Once(ctx, env, st, url, opts, *dryRun)
	}
	for {
		if err := importMM2Once(ctx, env, st, url, opts, false); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintf(env.Stderr, "metalinkd import: %v (trying again in %s)\n", err, *every)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*every):
		}
	}
}

// importMM2Once reads, converts, plans and (unless dryRun) writes one import.
func importMM2Once(ctx context.Context, env Env, st store.Store, url string, opts mm2.Options, dryRun bool) error {
	src, err := mm2.Read(ctx, url)
	if err != nil {
		return err
	}
	opts.Now = time.Now()
	res := mm2.Convert(src, opts)
	stored, err := st.Load(ctx)
	if err != nil {
		return err
	}
	stored.Normalize()
	merged := mm2.Merge(stored, res, opts.Prefix)
	if err := merged.Validate(); err != nil {
		return fmt.Errorf("the import merged with the store: %w", err)
	}
	diff := store.DiffAll(stored, merged)
	fmt.Fprintf(env.Stdout, "tree root: MirrorManager2's %q (serve with --mount-prefix %q, so that path= takes its full names)\n",
		res.Root, res.Root)
	if dryRun {
		writeDiff(env.Stdout, diff)
		writeUnmapped(env.Stdout, res.Unmapped)
		fmt.Fprintf(env.Stdout, "dry run: %s; nothing was changed\n", summarize(diff, "would add", "remove", "change"))
		return nil
	}
	if !diff.Empty() {
		if err := writeMM2(ctx, st, stored, merged, diff); err != nil {
			return err
		}
	}
	d := res.Dataset
	fmt.Fprintf(env.Stdout, "imported from MirrorManager2 at %s: %d mirrors, %d repositories, %d redirects, %d directories, %d freshness rows\n",
		time.Now().UTC().Format(time.RFC3339), len(d.Mirrors), len(d.Repositories), len(d.Redirects), len(d.Directories), len(d.Freshness))
	writeDiff(env.Stdout, diff)
	writeUnmapped(env.Stdout, res.Unmapped)
	fmt.Fprintf(env.Stdout, "summary: %s\n", summarize(diff, "added", "removed", "changed"))
	return nil
}

// writeUnmapped lists what the conversion left out, one row a line, and
// the count by table.
func writeUnmapped(w io.Writer, us []mm2.Unmapped) {
	byTable := map[string]int{}
	for _, u := range us {
		fmt.Fprintf(w, "unmapped %s\n", u)
		byTable[u.Table]++
	}
	var parts []string
	for _, t := range slices.Sorted(maps.Keys(byTable)) {
		parts = append(parts, fmt.Sprintf("%s %d", t, byTable[t]))
	}
	if len(us) == 0 {
		fmt.Fprintln(w, "unmapped: 0 rows")
		return
	}
	fmt.Fprintf(w, "unmapped: %d rows (%s)\n", len(us), strings.Join(parts, ", "))
}

// writeMM2 writes the merged dataset in one transaction. When only the
// declarative part changed (a mirror's bandwidth, say) and the store's
// Import gives exactly the merged dataset, Import writes just that part;
// otherwise Restore rewrites the whole dataset, freshness included.
func writeMM2(ctx context.Context, st store.Store, stored, merged *store.Dataset, diff store.Diff) error {
	declarativeOnly := true
	for _, k := range diff {
		if !k.Declarative && !k.Empty() {
			declarativeOnly = false
		}
	}
	if declarativeOnly {
		// As the stores' Import does it: the scanned directories decide
		// which scan-derived repositories it adds.
		decl := merged.Copy()
		decl.Directories, decl.Freshness, decl.Health, decl.TreeDirectories, decl.Files = nil, nil, nil, nil, nil
		after := &store.Dataset{Directories: stored.Directories}
		after.ApplyImport(decl.Copy())
		after.Normalize()
		if store.DiffDeclarative(merged, after).Empty() {
			return st.Import(ctx, decl)
		}
	}
	return st.Restore(ctx, merged)
}

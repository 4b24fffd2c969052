package cli

import (
	"context"
	"fmt"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/metalinkd/metalinkd/internal/cloudranges"
	"github.com/metalinkd/metalinkd/migrations"
	"github.com/metalinkd/metalinkd/store"
)

func runMigrate(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "migrate", "[flags]",
		"Apply the database migrations this binary carries to the PostgreSQL store, under an advisory\n"+
			"lock so that several replicas may run it at once, and print the schema version. The server\n"+
			"refuses to start on a schema older or newer than it knows.")
	choice := storeFlags(env, fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := choice.resolve(env, false); err != nil {
		return err
	}
	if choice.DatabaseURL == "" {
		return usageError{"migrate needs --database-url or DATABASE_URL (the embedded store applies its migrations itself whenever it is opened)"}
	}
	pool, err := pgxpool.New(ctx, choice.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	v, err := migrations.Apply(ctx, pool)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "database schema at version %d\n", v)
	return nil
}

func runRanges(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "ranges", "import --aws FILE [flags] | show [flags]",
		"Load a cloud provider's published address ranges. A client that sends no location but whose\n"+
			"address lies in a region's ranges gets the mirrors of the location serving that region (the\n"+
			"location listing it in cloud_regions, else the one of the same name). With serve\n"+
			"--verify-location, a location is honoured only from inside its own ranges. 'show' lists the\n"+
			"loaded ranges per region.")
	choice := storeFlags(env, fs)
	awsFile := fs.String("aws", "", "AWS's ip-ranges.json (`FILE`, or - for standard input); its EC2 prefixes are used")
	force := fs.Bool("force", false, "import even when the file's syncToken is the one already loaded")
	if len(args) == 0 || (args[0] != "import" && args[0] != "show") {
		fs.Usage()
		return usageError{"want 'ranges import' or 'ranges show'"}
	}
	sub := args[0]
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	st, err := choice.resolveAndOpen(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	d, err := st.Load(ctx)
	if err != nil {
		return err
	}
	if sub == "show" {
		return showRanges(env, d.CloudSources, d.CloudRanges, d.CloudRegionLocations())
	}
	if *awsFile == "" {
		return usageError{"--aws FILE is required"}
	}
	in, err := openInput(env, *awsFile)
	if err != nil {
		return err
	}
	defer in.Close()
	parsed, prefixes, err := cloudranges.ParseAWS(in)
	if err != nil {
		return err
	}
	src, ranges := toStoreRanges(parsed, prefixes)
	for _, s := range d.CloudSources {
		if s.Provider == src.Provider && s.SyncToken == src.SyncToken && !*force {
			fmt.Fprintf(env.Stdout, "%s ranges already at syncToken %s; nothing to do (--force to reload)\n", src.Provider, src.SyncToken)
			return nil
		}
	}
	src.Imported = time.Now().UTC()
	if err := st.ReplaceCloudRanges(ctx, src, ranges); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "imported %d %s ranges (syncToken %s)\n", len(ranges), src.Provider, src.SyncToken)
	return showRanges(env, nil, ranges, d.CloudRegionLocations())
}

func showRanges(env Env, sources []store.CloudSource, ranges []store.CloudRange, regions map[string]string) error {
	for _, s := range sources {
		fmt.Fprintf(env.Stdout, "%s: syncToken %s, imported %s\n", s.Provider, s.SyncToken, s.Imported.Format(time.RFC3339))
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "REGION\tRANGES\tLOCATION")
	for _, rc := range countRegions(ranges) {
		loc := regions[rc.region]
		if loc == "" {
			loc = "-"
		}
		fmt.Fprintf(w, "%s\t%d\t%s\n", rc.region, rc.ranges, loc)
	}
	return w.Flush()
}

// toStoreRanges converts parsed ranges to the store's types.
func toStoreRanges(src cloudranges.Source, ranges []cloudranges.Range) (store.CloudSource, []store.CloudRange) {
	out := make([]store.CloudRange, len(ranges))
	for i, r := range ranges {
		out[i] = store.CloudRange{Prefix: r.Prefix, Provider: r.Provider, Region: r.Region}
	}
	return store.CloudSource{Provider: src.Provider, SyncToken: src.SyncToken}, out
}

// regionCount is a region and its number of ranges.
type regionCount struct {
	region string
	ranges int
}

// countRegions returns how many ranges each region has, sorted by region.
func countRegions(ranges []store.CloudRange) []regionCount {
	n := map[string]int{}
	for _, r := range ranges {
		n[r.Region]++
	}
	out := make([]regionCount, 0, len(n))
	for r, c := range n {
		out = append(out, regionCount{region: r, ranges: c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].region < out[j].region })
	return out
}

package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/metalinkd/metalinkd/internal/adminapi"
)

func runRepo(ctx context.Context, env Env, args []string) error {
	return runGroup(ctx, env, "repo", "Manage repositories (repo= and arch= mapped to a directory) through the admin API.", []subcommand{
		{"list", "list the repositories", repoList},
		{"add", "map a repository and arch to a directory", repoAdd},
		{"delete", "remove a repository", repoAction("delete", http.MethodDelete, "", "Remove a repository.")},
		{"disable", "answer \"repo disabled\" for a repository", repoAction("disable", http.MethodPost, "/disable",
			"A disabled repository answers \"repo disabled\" instead of mirrors; enable serves it again.")},
		{"enable", "serve a disabled repository again", repoAction("enable", http.MethodPost, "/enable",
			"A disabled repository answers \"repo disabled\" instead of mirrors; enable serves it again.")},
	}, args)
}

func repoPath(prefix, arch string) string {
	return "/repositories/" + url.PathEscape(prefix) + "/" + url.PathEscape(arch)
}

func repoList(ctx context.Context, env Env, args []string) error {
	var out adminapi.RepositoryList
	if printed, err := list(ctx, env, args, "repo list", "List every repository.", "/repositories", &out); err != nil || printed {
		return err
	}
	rows := make([][]string, len(out.Repositories))
	for i, r := range out.Repositories {
		rows[i] = []string{r.Prefix, r.Arch, r.Directory, yesNo(r.Disabled)}
	}
	return table(env.Stdout, []string{"PREFIX", "ARCH", "DIRECTORY", "DISABLED"}, rows)
}

func repoAdd(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "repo add", "PREFIX ARCH --directory DIR [flags]",
		"Map repo=PREFIX&arch=ARCH to a directory of the master tree.")
	af := addAPIFlags(env, fs)
	dir := fs.String("directory", "", "the `directory`, relative to the master tree root")
	disabled := fs.Bool("disabled", false, "add it disabled")
	pos, err := parseArgs(fs, args, "PREFIX", "ARCH")
	if err != nil {
		return err
	}
	c, err := af.client(env)
	if err != nil {
		return err
	}
	body := adminapi.Repository{Prefix: pos[0], Arch: pos[1], Directory: *dir, Disabled: *disabled}
	if printed, err := c.call(ctx, env, af, http.MethodPost, "/repositories", body, nil); err != nil || printed {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "added repository %s %s\n", pos[0], pos[1])
	return err
}

// repoAction returns a subcommand acting on one repository.
func repoAction(verb, method, suffix, about string) func(context.Context, Env, []string) error {
	return action{name: "repo " + verb, about: about, args: []string{"PREFIX", "ARCH"}, method: method,
		path: func(pos []string) string { return repoPath(pos[0], pos[1]) + suffix }, done: verb + "d repository"}.run
}

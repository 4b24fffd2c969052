package clientinit

import (
	"flag"
	"fmt"
)

const runUsage = `Usage: client-init [flags]
       client-init repo-files [flags]
       client-init version (or --version)

Asks the cloud's instance metadata service (AWS IMDSv2, GCP, Azure) which
region this guest runs in and writes the location name, followed by a
newline, to ROOT/etc/dnf/vars/location and ROOT/etc/yum/vars/location
(atomically, mode 0644, only when the content changes). dnf then sends it
as location= in metalink URLs ending in &location=$location. When no
metadata service answers, the files are left alone (or removed with
--remove-when-absent). "client-init repo-files -h" explains the
subcommand that adds &location=$location to repository files.

Flags:
`

const repoFilesUsage = `Usage: client-init repo-files [flags]

Makes every metalink= line of ROOT/etc/yum.repos.d/*.repo end with
&location=$location (?location=$location when the URL has no query). A
location= parameter elsewhere in the URL is moved to the end; every other
byte stays as it was. Files are replaced atomically, keeping their mode and
owner, and only when they change. With --check nothing is written: the
files that would change are printed.

Flags:
`

const exitCodes = `
Exit codes:
  0  success: location files current (written or unchanged); repo files in order
  1  a file could not be read, written or removed
  2  bad flags or --format template
  3  no metadata service answered (not in a cloud), or its answer was not
     complete within --timeout; location files left alone, or removed with
     --remove-when-absent
  4  a metadata service answered with something that is not a region (empty,
     too large, HTML, invalid characters, error status); files left alone
  5  --format made a name outside the location grammar (1-63 of [a-z0-9-],
     no leading or trailing '-'); files left alone
  6  repo-files --check: some metalink= lines lack &location=$location
`

// usage prints a command's help: what it does, its flags, the exit codes.
func usage(fs *flag.FlagSet, head string) {
	fmt.Fprint(fs.Output(), head)
	fs.PrintDefaults()
	fmt.Fprint(fs.Output(), exitCodes)
}

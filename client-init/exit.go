package clientinit

import "errors"

// Sentinel errors of a run; exitCode maps each to the documented exit code.
var (
	// errUsage reports bad flags or a --format template that does not parse.
	errUsage = errors.New("usage")
	// errNoMetadata reports that no metadata service answered: the guest is
	// not in a cloud that the helper knows, or the service is unreachable.
	errNoMetadata = errors.New("no metadata service answered")
	// errBadAnswer reports a metadata service that answered with something
	// that is not a region: empty, too large, HTML or invalid characters.
	errBadAnswer = errors.New("metadata service gave an unusable answer")
	// errInvalidLocation reports a location name, made by --format from a
	// valid region, that the server's location grammar rejects.
	errInvalidLocation = errors.New("invalid location name")
	// errNeedsChange reports, for repo-files --check, that a repository file
	// lacks &location=$location on a metalink line.
	errNeedsChange = errors.New("repository files need a change")
)

// Exit codes of the client-init command, documented in its --help.
const (
	exitOK              = 0 // location files current, or repo files in order
	exitFailure         = 1 // a file could not be read, written or removed
	exitUsage           = 2 // bad flags or --format template
	ExitNoMetadata      = 3 // no metadata service answered; files left alone (exported: the unit treats it as success)
	exitBadAnswer       = 4 // a metadata service answered nonsense; files left alone
	exitInvalidLocation = 5 // --format made a name outside the grammar; files left alone
	exitNeedsChange     = 6 // repo-files --check found lines to change
)

// exitCode returns the exit code that reports err.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errUsage):
		return exitUsage
	case errors.Is(err, errNoMetadata):
		return ExitNoMetadata
	case errors.Is(err, errBadAnswer):
		return exitBadAnswer
	case errors.Is(err, errInvalidLocation):
		return exitInvalidLocation
	case errors.Is(err, errNeedsChange):
		return exitNeedsChange
	default:
		return exitFailure
	}
}

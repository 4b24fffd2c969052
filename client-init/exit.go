package clientinit

import "errors"

// Sentinel errors of a run; ExitCode maps each to the documented exit code.
var (
	// ErrUsage reports bad flags or a --format template that does not parse.
	ErrUsage = errors.New("usage")
	// ErrNoMetadata reports that no metadata service answered: the guest is
	// not in a cloud that the helper knows, or the service is unreachable.
	ErrNoMetadata = errors.New("no metadata service answered")
	// ErrBadAnswer reports a metadata service that answered with something
	// that is not a region: empty, too large, HTML or invalid characters.
	ErrBadAnswer = errors.New("metadata service gave an unusable answer")
	// ErrInvalidLocation reports a location name, made by --format from a
	// valid region, that the server's location grammar rejects.
	ErrInvalidLocation = errors.New("invalid location name")
	// ErrNeedsChange reports, for repo-files --check, that a repository file
	// lacks &location=$location on a metalink line.
	ErrNeedsChange = errors.New("repository files need a change")
)

// Exit codes of the client-init command, documented in its --help.
const (
	ExitOK              = 0 // location files current, or repo files in order
	ExitFailure         = 1 // a file could not be read, written or removed
	ExitUsage           = 2 // bad flags or --format template
	ExitNoMetadata      = 3 // no metadata service answered; files left alone
	ExitBadAnswer       = 4 // a metadata service answered nonsense; files left alone
	ExitInvalidLocation = 5 // --format made a name outside the grammar; files left alone
	ExitNeedsChange     = 6 // repo-files --check found lines to change
)

// ExitCode returns the exit code that reports err.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrUsage):
		return ExitUsage
	case errors.Is(err, ErrNoMetadata):
		return ExitNoMetadata
	case errors.Is(err, ErrBadAnswer):
		return ExitBadAnswer
	case errors.Is(err, ErrInvalidLocation):
		return ExitInvalidLocation
	case errors.Is(err, ErrNeedsChange):
		return ExitNeedsChange
	default:
		return ExitFailure
	}
}

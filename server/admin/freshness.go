package admin

import (
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/metalinkd/metalinkd/internal/adminapi"
	"github.com/metalinkd/metalinkd/store"
)

var (
	sha256RE       = regexp.MustCompile(`^[0-9a-f]{64}$`)
	freshnessField = regexp.MustCompile(`^freshness\[\d+\]\.`)
)

// report answers POST /mirrors/{name}/report: the mirror serves the
// repomd.xml with this sha256 for the directory. It is accepted only when
// that is the directory's current repomd or a listed alternate, and the
// crawler did not see the mirror serve something else after the scan
// recorded it (409 with the reason otherwise); the mirror is then listed
// for the directory.
func (a *API) report(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "name")
	var in adminapi.Report
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var fields []store.FieldError
	if in.Directory == "" {
		fields = append(fields, store.FieldError{Field: "directory", Msg: "a directory of the master tree is required"})
	}
	if !sha256RE.MatchString(in.SHA256) {
		fields = append(fields, store.FieldError{Field: "sha256", Msg: "must be 64 lower-case hex digits"})
	}
	if fields != nil {
		return &store.ValidationError{Fields: fields}
	}
	f := store.Freshness{Mirror: name, Directory: strings.Trim(in.Directory, "/"), SHA256: in.SHA256, Reported: a.now().UTC()}
	err := a.st.Report(r.Context(), f)
	var refused *store.ReportRefusedError
	switch {
	case errors.As(err, &refused):
		return conflict("the crawler saw %s serve %s for %s at %s, after repomd.xml %s was recorded at %s: a report cannot make it fresh there until a crawl sees that repomd.xml",
			name, refused.Saw(), f.Directory, refused.Seen.Seen.UTC().Format(time.RFC3339), f.SHA256,
			refused.Recorded.UTC().Format(time.RFC3339))
	case errors.Is(err, store.ErrConflict):
		return conflict("repomd.xml with sha256 %s is neither the current one of %s nor a listed alternate (has the master tree been scanned since it was published?)",
			f.SHA256, f.Directory)
	case errors.Is(err, store.ErrNotFound):
		return a.reportNotFound(r, name, f.Directory)
	case err != nil:
		return relative(err, name, freshnessField)
	}
	return writeJSON(w, http.StatusOK, wireFreshness(f))
}

// reportNotFound says whether the mirror or the directory of a refused
// report is unknown.
func (a *API) reportNotFound(r *http.Request, mirror, dir string) error {
	_, err := a.st.Mirror(r.Context(), mirror)
	if errors.Is(err, store.ErrNotFound) {
		return errNoMirror(mirror)
	}
	if err != nil {
		return err
	}
	return notFound("directory %s is not known; run scan on the master tree first", quote(dir))
}

// forget answers POST /mirrors/{name}/forget: the mirror stops being listed
// for every directory equal to or under the prefix; {"forgotten": N}.
func (a *API) forget(w http.ResponseWriter, r *http.Request) error {
	name := param(r, "name")
	var in adminapi.Forget
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if strings.Trim(in.Prefix, "/") == "" {
		return invalid("prefix", "a directory prefix such as releases/39/ is required; disable the mirror to unlist it everywhere")
	}
	n, err := a.st.Forget(r.Context(), name, in.Prefix)
	if errors.Is(err, store.ErrNotFound) {
		return errNoMirror(name)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, adminapi.Forgotten{Forgotten: n})
}

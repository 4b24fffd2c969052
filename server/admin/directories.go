package admin

import (
	"errors"
	"net/http"
	"strings"

	"github.com/metalinkd/metalinkd/internal/adminapi"
	"github.com/metalinkd/metalinkd/store"
)

// directoryView is a directory's repomd state with the mirrors reported
// to serve one of its accepted versions.
type directoryView = adminapi.DirectoryDetail

func errNoDirectory(dir string) error {
	return notFound("directory %s is not known; run scan on the master tree first", quote(dir))
}

// listDirectories answers GET /directories[?prefix=releases/41/]: the
// scanned repomd state of every directory (under the prefix).
func (a *API) listDirectories(w http.ResponseWriter, r *http.Request) error {
	prefix := strings.Trim(r.URL.Query().Get("prefix"), "/")
	dirs, err := a.st.Directories(r.Context(), prefix)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, adminapi.DirectoryList{Directories: views(dirs, wireDirectory)})
}

// getDirectory answers GET /directories/{path…}: the current repomd, the
// alternates still accepted, and the mirrors that serve one of them.
func (a *API) getDirectory(w http.ResponseWriter, r *http.Request) error {
	p := strings.Trim(param(r, "*"), "/")
	dir, err := a.st.Directory(r.Context(), p)
	if errors.Is(err, store.ErrNotFound) {
		return errNoDirectory(p)
	}
	if err != nil {
		return err
	}
	fs, err := a.st.Freshness(r.Context(), "", p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, directoryView{Directory: wireDirectory(dir), Mirrors: views(fs, wireFreshness)})
}

// expireDirectory answers POST /directories/expire: every alternate of the
// directory is dropped at once, so only mirrors with the current repomd
// stay listed. It answers with the directory's state.
func (a *API) expireDirectory(w http.ResponseWriter, r *http.Request) error {
	var in adminapi.Expire
	if err := decode(w, r, &in); err != nil {
		return err
	}
	p := strings.Trim(in.Directory, "/")
	if p == "" {
		return invalid("directory", "a directory of the master tree is required")
	}
	err := a.st.ExpireAlternates(r.Context(), p)
	if errors.Is(err, store.ErrNotFound) {
		return errNoDirectory(p)
	}
	if err != nil {
		return err
	}
	dir, err := a.st.Directory(r.Context(), p)
	if errors.Is(err, store.ErrNotFound) {
		return errNoDirectory(p)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wireDirectory(dir))
}

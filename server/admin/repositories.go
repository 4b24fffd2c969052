package admin

import (
	"errors"
	"net/http"
	"net/url"
	"path"

	"github.com/metalinkd/metalinkd/internal/adminapi"
	"github.com/metalinkd/metalinkd/store"
)

func errNoRepository(prefix, arch string) error {
	return notFound("repository %s for arch %s not found", quote(prefix), quote(arch))
}

// listRepositories answers GET /repositories: {"repositories": [...]}.
func (a *API) listRepositories(w http.ResponseWriter, r *http.Request) error {
	repos, err := a.st.Repositories(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, adminapi.RepositoryList{Repositories: views(repos, wireRepository)})
}

// getRepository answers GET /repositories/{prefix}/{arch}.
func (a *API) getRepository(w http.ResponseWriter, r *http.Request) error {
	prefix, arch := param(r, "prefix"), param(r, "arch")
	repo, err := a.st.Repository(r.Context(), prefix, arch)
	if errors.Is(err, store.ErrNotFound) {
		return errNoRepository(prefix, arch)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wireRepository(repo))
}

// createRepository answers POST /repositories; an existing prefix and arch
// is a conflict.
func (a *API) createRepository(w http.ResponseWriter, r *http.Request) error {
	var body adminapi.Repository
	if err := decode(w, r, &body); err != nil {
		return err
	}
	repo := storedRepository(body)
	if err := a.st.CreateRepository(r.Context(), repo); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return conflict("repository %s for arch %s already exists", quote(repo.Prefix), quote(repo.Arch))
		}
		return relative(err, repo.Prefix, repositoryField)
	}
	w.Header().Set("Location", path.Join(r.URL.Path, url.PathEscape(repo.Prefix), url.PathEscape(repo.Arch)))
	return writeJSON(w, http.StatusCreated, wireRepository(repo))
}

// replaceRepository answers PUT /repositories/{prefix}/{arch}: a new
// directory or disabled flag for an existing repository.
func (a *API) replaceRepository(w http.ResponseWriter, r *http.Request) error {
	var body adminapi.Repository
	if err := decode(w, r, &body); err != nil {
		return err
	}
	return a.updateRepository(w, r, func(old *store.Repository) { *old = storedRepository(body) })
}

// disableRepository answers POST /repositories/{prefix}/{arch}/disable and
// …/enable. A disabled repository answers "repo disabled".
func (a *API) disableRepository(disabled bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return a.updateRepository(w, r, func(repo *store.Repository) { repo.Disabled = disabled })
	}
}

// updateRepository changes an existing repository with change and stores
// it, in one step of the store, so that updates through several replicas
// serialise.
func (a *API) updateRepository(w http.ResponseWriter, r *http.Request, change func(*store.Repository)) error {
	prefix, arch := param(r, "prefix"), param(r, "arch")
	repo, err := a.st.UpdateRepository(r.Context(), prefix, arch, func(repo *store.Repository) error {
		change(repo)
		var fields []store.FieldError
		if repo.Prefix == "" {
			repo.Prefix = prefix
		} else if repo.Prefix != prefix {
			fields = append(fields, store.FieldError{Field: "prefix", Msg: "must be " + quote(prefix) + " as in the path"})
		}
		if repo.Arch == "" {
			repo.Arch = arch
		} else if repo.Arch != arch {
			fields = append(fields, store.FieldError{Field: "arch", Msg: "must be " + quote(arch) + " as in the path"})
		}
		if fields != nil {
			return &store.ValidationError{Fields: fields}
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return errNoRepository(prefix, arch)
	}
	if err != nil {
		return relative(err, prefix, repositoryField)
	}
	return writeJSON(w, http.StatusOK, wireRepository(repo))
}

// deleteRepository answers DELETE /repositories/{prefix}/{arch}.
func (a *API) deleteRepository(w http.ResponseWriter, r *http.Request) error {
	prefix, arch := param(r, "prefix"), param(r, "arch")
	err := a.st.DeleteRepository(r.Context(), prefix, arch)
	if errors.Is(err, store.ErrNotFound) {
		return errNoRepository(prefix, arch)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

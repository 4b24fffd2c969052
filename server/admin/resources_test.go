package admin

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/metalinkd/metalinkd/store"
)

func TestLocationLifecycle(t *testing.T) { eachStore(t, testLocationLifecycle) }

func testLocationLifecycle(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	loc := store.Location{Name: "ap-south-1", Description: "Mumbai", CloudRegions: []string{"ap-south-1", "ap-south-2"}}
	var got store.Location
	a := f.admin(http.MethodPost, "/locations", loc, http.StatusCreated, &got)
	if diff := cmp.Diff(loc, got); diff != "" || a.header.Get("Location") != "/api/v1/locations/ap-south-1" {
		t.Errorf("created %s (-want +got):\n%s", a.header.Get("Location"), diff)
	}
	f.admin(http.MethodPost, "/locations", loc, http.StatusConflict, nil)

	var list struct{ Locations []store.Location }
	f.admin(http.MethodGet, "/locations", nil, http.StatusOK, &list)
	if len(list.Locations) != 3 {
		t.Errorf("list = %+v, want 3 locations", list.Locations)
	}
	var used locationView
	f.admin(http.MethodGet, "/locations/us-east-1", nil, http.StatusOK, &used)
	if diff := cmp.Diff([]string{"m1"}, used.Mirrors); diff != "" || used.Description != "AWS US East" {
		t.Errorf("GET us-east-1 = %+v (-want +got mirrors):\n%s", used, diff)
	}

	got = store.Location{}
	f.admin(http.MethodPut, "/locations/ap-south-1", map[string]any{"description": "India"}, http.StatusOK, &got)
	if want := (store.Location{Name: "ap-south-1", Description: "India"}); !cmp.Equal(want, got, cmpopts.EquateEmpty()) {
		t.Errorf("after PUT: %+v, want %+v", got, want)
	}
	f.admin(http.MethodPut, "/locations/nowhere", map[string]any{"description": "x"}, http.StatusNotFound, nil)

	if a := f.do(http.MethodDelete, "/locations/us-east-1", "admin", nil); a.status != http.StatusConflict || a.error().Error == "" {
		t.Errorf("deleting a location in use = %d %s, want 409", a.status, a.body)
	}
	f.admin(http.MethodDelete, "/locations/ap-south-1", nil, http.StatusNoContent, nil)
	f.admin(http.MethodGet, "/locations/ap-south-1", nil, http.StatusNotFound, nil)
	f.admin(http.MethodDelete, "/locations/ap-south-1", nil, http.StatusNotFound, nil)
}

func TestRepositoryLifecycle(t *testing.T) { eachStore(t, testRepositoryLifecycle) }

func testRepositoryLifecycle(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	repo := store.Repository{Prefix: "epel-9", Arch: "aarch64", Directory: "epel/9/Everything/aarch64"}
	a := f.admin(http.MethodPost, "/repositories", repo, http.StatusCreated, nil)
	if got := a.header.Get("Location"); got != "/api/v1/repositories/epel-9/aarch64" {
		t.Errorf("Location = %q", got)
	}
	f.admin(http.MethodPost, "/repositories", repo, http.StatusConflict, nil)

	var got store.Repository
	f.admin(http.MethodGet, "/repositories/epel-9/aarch64", nil, http.StatusOK, &got)
	if got != repo {
		t.Errorf("GET = %+v, want %+v", got, repo)
	}
	for _, tc := range []struct {
		method, path string
		body         any
		want         store.Repository
	}{
		{http.MethodPost, "/disable", nil, store.Repository{Prefix: "epel-9", Arch: "aarch64", Directory: repo.Directory, Disabled: true}},
		{http.MethodPost, "/enable", nil, repo},
		{http.MethodPut, "", map[string]any{"directory": "epel/9/Everything/aarch64/os", "disabled": true},
			store.Repository{Prefix: "epel-9", Arch: "aarch64", Directory: "epel/9/Everything/aarch64/os", Disabled: true}},
	} {
		got = store.Repository{}
		f.admin(tc.method, "/repositories/epel-9/aarch64"+tc.path, tc.body, http.StatusOK, &got)
		if got != tc.want {
			t.Errorf("%s %s: %+v, want %+v", tc.method, tc.path, got, tc.want)
		}
	}
	var list struct{ Repositories []store.Repository }
	f.admin(http.MethodGet, "/repositories", nil, http.StatusOK, &list)
	if len(list.Repositories) != 2 {
		t.Errorf("list = %+v, want 2", list.Repositories)
	}
	f.admin(http.MethodDelete, "/repositories/epel-9/aarch64", nil, http.StatusNoContent, nil)
	f.admin(http.MethodGet, "/repositories/epel-9/aarch64", nil, http.StatusNotFound, nil)
	f.admin(http.MethodDelete, "/repositories/epel-9/aarch64", nil, http.StatusNotFound, nil)
	f.admin(http.MethodPost, "/repositories/epel-9/aarch64/disable", nil, http.StatusNotFound, nil)
}

func TestRedirectLifecycle(t *testing.T) { eachStore(t, testRedirectLifecycle) }

func testRedirectLifecycle(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	rd := store.Redirect{From: "fedora-45", To: "rawhide"}
	f.admin(http.MethodPost, "/redirects", rd, http.StatusCreated, nil)
	f.admin(http.MethodPost, "/redirects", store.Redirect{From: "fedora-45", To: "fedora-44"}, http.StatusConflict, nil)
	var list struct{ Redirects []store.Redirect }
	f.admin(http.MethodGet, "/redirects", nil, http.StatusOK, &list)
	want := []store.Redirect{{From: "fedora-45", To: "rawhide"}, {From: "fedora-rawhide", To: "rawhide"}}
	if diff := cmp.Diff(want, list.Redirects); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	f.admin(http.MethodDelete, "/redirects/fedora-45", nil, http.StatusNoContent, nil)
	f.admin(http.MethodDelete, "/redirects/fedora-45", nil, http.StatusNotFound, nil)
}

func TestDirectories(t *testing.T) { eachStore(t, testDirectories) }

func testDirectories(t *testing.T, kind storeKind) {
	f := newFixture(t, kind)
	var list struct{ Directories []store.Directory }
	f.admin(http.MethodGet, "/directories", nil, http.StatusOK, &list)
	if len(list.Directories) != 1 || list.Directories[0].Current.SHA256 != shaNow || len(list.Directories[0].Alternates) != 1 {
		t.Errorf("list = %+v", list.Directories)
	}
	f.admin(http.MethodGet, "/directories?prefix=updates/", nil, http.StatusOK, &list)
	if len(list.Directories) != 0 {
		t.Errorf("prefix updates/ listed %+v", list.Directories)
	}
	f.admin(http.MethodGet, "/directories?prefix=releases/41", nil, http.StatusOK, &list)
	if len(list.Directories) != 1 {
		t.Errorf("prefix releases/41 listed %+v", list.Directories)
	}

	var one directoryView
	f.admin(http.MethodGet, "/directories/"+dir, nil, http.StatusOK, &one)
	if one.Path != dir || one.Alternates[0].SHA256 != shaOld || len(one.Mirrors) != 1 || one.Mirrors[0].Mirror != "m1" {
		t.Errorf("GET directory = %+v", one)
	}
	f.admin(http.MethodGet, "/directories/releases/40/Everything/x86_64/os", nil, http.StatusNotFound, nil)

	var expired store.Directory
	f.admin(http.MethodPost, "/directories/expire", map[string]string{"directory": dir}, http.StatusOK, &expired)
	if expired.Path != dir || len(expired.Alternates) != 0 {
		t.Errorf("after expire: %+v", expired)
	}
	f.admin(http.MethodPost, "/directories/expire", map[string]string{"directory": "releases/40"}, http.StatusNotFound, nil)
}

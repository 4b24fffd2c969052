package demo

import (
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/store"
)

func TestDatasetIsValidAndRealistic(t *testing.T) {
	d, err := Dataset(time.Unix(1_700_000_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	public, regional := 0, map[string]bool{}
	continents := map[string]bool{}
	for _, m := range d.Mirrors {
		if m.Regional() {
			for _, l := range m.Locations {
				regional[l] = true
			}
			continue
		}
		if !m.Private {
			public++
			continents[store.Continent(m.Country)] = true
		}
	}
	if public < 20 {
		t.Errorf("%d public mirrors, want at least 20", public)
	}
	if len(continents) < 3 {
		t.Errorf("public mirrors on %d continents, want at least 3", len(continents))
	}
	for _, l := range []string{"us-east-1", "eu-west-1", "ap-southeast-2"} {
		if !regional[l] {
			t.Errorf("no regional mirror for %s", l)
		}
	}
	want := map[string]bool{}
	for _, r := range []string{"fedora-41", "fedora-42", "updates-released-f41", "updates-released-f42"} {
		for _, a := range []string{"x86_64", "aarch64"} {
			want[r+"/"+a] = true
		}
	}
	for _, r := range d.Repositories {
		delete(want, r.Prefix+"/"+r.Arch)
	}
	if len(want) > 0 {
		t.Errorf("missing repositories: %v", want)
	}
	if len(d.Directories) != len(d.Repositories) || d.Directories[0].Current.SHA256 == "" {
		t.Errorf("every repository needs a scanned directory: %d directories for %d repositories", len(d.Directories), len(d.Repositories))
	}
}

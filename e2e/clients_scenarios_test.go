package e2e

import (
	"os"
	"strings"
	"testing"
)

// TestLibrepo fetches the repository with librepo alone, once through the
// metalink and once through the mirrorlist, as a guest in us-east-1.
func TestLibrepo(t *testing.T) {
	requireTools(t, "librepo", "rpmbuild", "createrepo_c")
	for _, kind := range []string{"metalink", "mirrorlist"} {
		t.Run(kind, func(t *testing.T) {
			w := newWorld(t)
			res := runLibrepo(t, kind, w.proxy.URL()+"/"+kind+"?"+metalinkQuery+"&location="+regionalLocation)
			if len(res.Mirrors) == 0 || !strings.HasPrefix(res.Mirrors[0], w.regional.URL()) {
				t.Errorf("librepo's mirrors %q do not start with the regional mirror %s", res.Mirrors, w.regional.URL())
			}
			if got, want := fileDigests(t, res.Repomd), repomdDigests(t, w.master); got != want {
				t.Errorf("downloaded repomd.xml has sha256 %s, want %s", got.sha256, want.sha256)
			}
			if _, err := os.Stat(res.Primary); err != nil {
				t.Errorf("primary metadata: %v", err)
			}
			if got := w.regional.served(repomdSuffix); got != 1 {
				t.Errorf("regional mirror served repomd.xml %d times, want 1", got)
			}
		})
	}
}

// TestAria2 lets aria2 follow the metalink: it orders mirrors by preference,
// checks size and sha256, and follows only application/metalink+xml.
func TestAria2(t *testing.T) {
	requireTools(t, "aria2c", "rpmbuild", "createrepo_c")
	w := newWorld(t)
	res := runAria2(t, w.proxy.URL()+"/metalink?"+metalinkQuery+"&location="+regionalLocation)
	if got, want := fileDigests(t, res.file), repomdDigests(t, w.master); got != want {
		t.Errorf("downloaded repomd.xml has sha256 %s, want %s", got.sha256, want.sha256)
	}
	if lines := linesWith(res.log, "Verification finished successfully"); len(lines) == 0 {
		t.Error("aria2 did not verify the download against the metalink's hash")
	} else {
		t.Logf("aria2: %s", lines[0])
	}
	if got := w.regional.served(repomdSuffix); got != 1 {
		t.Errorf("regional mirror (preference 100) served repomd.xml %d times, want 1", got)
	}
}

package clientinit

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// gcpServer plays GCE's metadata server: it answers only requests that
// carry Metadata-Flavor: Google, and marks its answers the same way.
func gcpServer(t *testing.T, status int, contentType, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Metadata-Flavor", "Google")
		if r.Header.Get("Metadata-Flavor") != "Google" {
			http.Error(w, "Missing Metadata-Flavor:Google header.", http.StatusForbidden)
			return
		}
		if r.URL.Path != "/computeMetadata/v1/instance/zone" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// azureServer plays Azure's Instance Metadata Service: it answers only
// requests with Metadata: true and an api-version, without a proxy's
// X-Forwarded-For.
func azureServer(t *testing.T, status int, contentType, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case r.Header.Get("Metadata") != "true" || r.Header.Get("X-Forwarded-For") != "":
			http.Error(w, `{"error": "Bad request. Required metadata header not specified"}`, http.StatusBadRequest)
			return
		case q.Get("api-version") == "":
			http.Error(w, `{"error": "Bad request. api-version was not specified in the request"}`, http.StatusBadRequest)
			return
		case r.URL.Path != "/metadata/instance/compute/location" || q.Get("format") != "text":
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestGCPAndAzure(t *testing.T) {
	tests := []struct {
		name     string
		provider string // the --provider flag
		gcp      bool   // serve GCP's protocol, else Azure's
		body     string
		want     string
	}{
		{"GCP zone path", "gcp", true, "projects/123456789012/zones/europe-west4-b", "europe-west4\n"},
		{"GCP found by auto", "auto", true, "projects/123456789012/zones/us-central1-a", "us-central1\n"},
		{"GCP bare zone", "gcp", true, "asia-northeast1-c\n", "asia-northeast1\n"},
		{"Azure location", "azure", false, "westeurope", "westeurope\n"},
		{"Azure found by auto", "auto", false, "eastus2\n", "eastus2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gcp, azure := closedEndpoint(t), closedEndpoint(t)
			if tt.gcp {
				gcp = gcpServer(t, http.StatusOK, "application/text", tt.body)
			} else {
				azure = azureServer(t, http.StatusOK, "text/plain; charset=utf-8", tt.body)
			}
			root := t.TempDir()
			res := runInProcess(t, withEndpoints(closedEndpoint(t), gcp, azure, "--root", root, "--provider", tt.provider)...)
			if res.code != exitOK {
				t.Fatalf("exit %d, want %d", res.code, exitOK)
			}
			wantVars(t, root, tt.want)
		})
	}
}

// TestBadAnswers checks that no answer but a region changes the files, and
// that the exit code and the log say why.
func TestBadAnswers(t *testing.T) {
	const html = "<!DOCTYPE html><html><body>Sign in to the network</body></html>"
	tests := []struct {
		name        string
		gcp         bool
		status      int
		contentType string
		body        string
		why         string
	}{
		{"GCP empty", true, 200, "application/text", "", "answer is empty"},
		{"GCP huge", true, 200, "application/text", strings.Repeat("x", 1<<20), "larger than"},
		{"GCP HTML", true, 200, "text/html; charset=utf-8", html, "HTML"},
		{"GCP HTML as text", true, 200, "application/text", html, "HTML"},
		{"GCP control characters", true, 200, "application/text", "projects/1/zones/us\x00central1-a", "outside printable ASCII"},
		{"GCP zone without region", true, 200, "application/text", "projects/1/zones/zone", "not a zone name"},
		{"GCP upper case", true, 200, "application/text", "projects/1/zones/US-CENTRAL1-A", "not a zone name"},
		{"GCP server error", true, 500, "application/text", "oops", "HTTP 500"},
		{"Azure empty", false, 200, "text/plain", "\n", "answer is empty"},
		{"Azure huge", false, 200, "text/plain", strings.Repeat("westeurope", 1<<16), "larger than"},
		{"Azure HTML", false, 200, "text/html", html, "HTML"},
		{"Azure display name", false, 200, "text/plain", "West Europe", "outside printable ASCII"},
		{"Azure invalid characters", false, 200, "text/plain", "west_europe", "not a region name"},
		{"Azure non-ASCII", false, 200, "text/plain", "westeuröpe", "outside printable ASCII"},
		{"Azure too long", false, 200, "text/plain", strings.Repeat("a", 64), "not a region name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gcp, azure := closedEndpoint(t), closedEndpoint(t)
			if tt.gcp {
				gcp = gcpServer(t, tt.status, tt.contentType, tt.body)
			} else {
				azure = azureServer(t, tt.status, tt.contentType, tt.body)
			}
			root := t.TempDir()
			seedVars(t, root, "eu-central-1\n")
			res := runInProcess(t, withEndpoints(closedEndpoint(t), gcp, azure, "--root", root)...)
			if res.code != exitBadAnswer || !strings.Contains(res.log, tt.why) {
				t.Errorf("exit %d, want %d with %q in the log", res.code, exitBadAnswer, tt.why)
			}
			wantVars(t, root, "eu-central-1\n")
		})
	}
}

// TestNotThisCloud checks answers that say "not here" rather than "wrong":
// a server that is not GCP's or Azure's protocol is an absent cloud.
func TestNotThisCloud(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NotFound(w, r)
	}))
	t.Cleanup(plain.Close)
	root := t.TempDir()
	res := runInProcess(t, withEndpoints(plain.URL, plain.URL, plain.URL, "--root", root)...)
	if res.code != ExitNoMetadata {
		t.Errorf("exit %d, want %d", res.code, ExitNoMetadata)
	}
	wantVars(t, root, absentFile)
}

// TestCaptivePortal: a network that answers every request with a login page
// (as hotel and guest networks do) must not become a location.
func TestCaptivePortal(t *testing.T) {
	portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><body><form>Accept the terms</form></body></html>"))
	}))
	t.Cleanup(portal.Close)
	root := t.TempDir()
	seedVars(t, root, "eu-central-1\n")
	res := runInProcess(t, withEndpoints(portal.URL, portal.URL, portal.URL, "--root", root, "--remove-when-absent")...)
	if res.code != exitBadAnswer {
		t.Errorf("exit %d, want %d", res.code, exitBadAnswer)
	}
	wantVars(t, root, "eu-central-1\n")
}

// TestGCPWithoutFlavor: a zone answer that lacks Google's mark is not
// trusted.
func TestGCPWithoutFlavor(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/computeMetadata/v1/instance/zone" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("projects/1/zones/us-central1-a"))
	}))
	t.Cleanup(srv.Close)
	root := t.TempDir()
	res := runInProcess(t, withEndpoints(srv.URL, srv.URL, srv.URL, "--root", root)...)
	if res.code != exitBadAnswer || !strings.Contains(res.log, "lacks Metadata-Flavor") {
		t.Errorf("exit %d, want %d with a missing Metadata-Flavor in the log", res.code, exitBadAnswer)
	}
	wantVars(t, root, absentFile)
}

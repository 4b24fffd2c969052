package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/metalink"
)

// TestMeta4Negotiation pins how a client gets Metalink 4: the .meta4 path
// suffix, an Accept header preferring application/metalink4+xml to
// application/metalink+xml, or meta4=1; everything else keeps Metalink 3.0
// or the mirrorlist.
func TestMeta4Negotiation(t *testing.T) {
	h := BenchHandler(3)
	const q = "?repo=fedora-41&arch=x86_64"
	cases := []struct {
		target, accept string
		wantStatus     int
		wantType       string
	}{
		{"/metalink" + q, "", 200, metalink.MetalinkType},
		{"/metalink" + q, "application/metalink4+xml", 200, metalink.Metalink4Type},
		{"/metalink" + q, "application/metalink+xml;q=0.4, Application/Metalink4+XML;q=0.5", 200, metalink.Metalink4Type},
		{"/metalink" + q, "application/metalink4+xml, application/metalink+xml;q=0.9", 200, metalink.Metalink4Type},
		{"/metalink" + q, "application/metalink+xml, application/metalink4+xml;q=0.5", 200, metalink.MetalinkType},
		// aria2 accepts both alike: it keeps Metalink 3.0, as from Fedora's server.
		{"/metalink" + q, "*/*,application/metalink4+xml,application/metalink+xml", 200, metalink.MetalinkType},
		{"/metalink" + q, "application/metalink4+xml;q=x", 200, metalink.MetalinkType},
		{"/metalink" + q, "application/metalink4+xml;q=0, application/metalink+xml", 200, metalink.MetalinkType},
		{"/metalink" + q, "application/metalink4+xml; q=0.0", 200, metalink.MetalinkType},
		{"/metalink" + q, "*/*", 200, metalink.MetalinkType},
		{"/metalink.meta4" + q, "", 200, metalink.Metalink4Type},
		{"/pub/fedora/metalink.meta4" + q, "", 200, metalink.Metalink4Type},
		{"/metalink" + q + "&meta4=1", "", 200, metalink.Metalink4Type},
		{"/metalink.meta4?repo=nope&arch=x86_64", "", 404, metalink.Metalink4Type},
		{"/mirrorlist" + q, "application/metalink4+xml", 200, metalink.MirrorlistType},
		{"/mirrorlist.meta4" + q, "", 404, ""},
	}
	for _, c := range cases {
		req := httptest.NewRequest(http.MethodGet, c.target, nil)
		req.RemoteAddr = "192.0.2.1:40000"
		if c.accept != "" {
			req.Header.Set("Accept", c.accept)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != c.wantStatus || c.wantType != "" && w.Header().Get("Content-Type") != c.wantType {
			t.Errorf("%s (Accept %q): %d %s, want %d %s", c.target, c.accept, w.Code, w.Header().Get("Content-Type"), c.wantStatus, c.wantType)
		}
		if c.wantType == metalink.Metalink4Type && !strings.Contains(w.Body.String(), `xmlns="urn:ietf:params:xml:ns:metalink"`) {
			t.Errorf("%s: body is not Metalink 4:\n%s", c.target, w.Body)
		}
		if strings.HasPrefix(c.target, "/metalink?") && w.Header().Get("Vary") != "Accept" {
			t.Errorf("%s: Vary %q, want Accept", c.target, w.Header().Get("Vary"))
		}
	}
}

package scan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	sumA = "3f1b0a5c7d9e2b4a6c8e0f1a3b5c7d9e2f4a6b8c0d1e3f5a7b9c1d3e5f7a9b1c"
	sumB = "aa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
)

func TestParseChecksum(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"fedora clear-signed", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" +
			"# Fedora-Workstation-Live-41-1.4.x86_64.iso: 2398523392 bytes\n" +
			"SHA256 (Fedora-Workstation-Live-41-1.4.x86_64.iso) = " + sumA + "\n" +
			"- SHA256 (dash escaped.raw.xz) = " + sumB + "\n" +
			"-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCAAdFiEE\n" +
			"SHA256 (after-signature.iso) = " + sumB + "\n-----END PGP SIGNATURE-----\n",
			map[string]string{"Fedora-Workstation-Live-41-1.4.x86_64.iso": sumA, "dash escaped.raw.xz": sumB}},
		{"unsigned bsd, CRLF", "SHA256 (a.iso) = " + sumA + "\r\nSHA256 (b (1).qcow2) = " + sumB + "\r\n",
			map[string]string{"a.iso": sumA, "b (1).qcow2": sumB}},
		{"gnu text and binary", sumA + "  a.iso\n" + sumB + " *b.img.xz\n",
			map[string]string{"a.iso": sumA, "b.img.xz": sumB}},
		{"upper-case hex", "SHA256 (a.iso) = " + strings.ToUpper(sumA) + "\n", map[string]string{"a.iso": sumA}},
		{"other algorithms and junk skipped", "SHA512 (a.iso) = " + sumA + sumA + "\nMD5 (a.iso) = 0123\n" +
			"SHA256 (short.iso) = abc\nSHA256 (x.iso) = " + sumA[:63] + "g\nnonsense\n", map[string]string{}},
		{"names with a slash or control refused", "SHA256 (../etc/passwd) = " + sumA + "\n" + sumB + "  d/e.iso\n" +
			"SHA256 (a\x01.iso) = " + sumA + "\n", map[string]string{}},
		{"empty", "", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ParseChecksum([]byte(tt.in))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseChecksum feeds CHECKSUM files as a mirror tree might hold them:
// whatever the input, every entry names a plain file of the directory and
// a well-formed sha256.
func FuzzParseChecksum(f *testing.F) {
	f.Add([]byte("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nSHA256 (a.iso) = " + sumA + "\n-----BEGIN PGP SIGNATURE-----\n"))
	f.Add([]byte(sumA + "  a.iso\n" + sumB + " *b.iso\n"))
	f.Add([]byte("SHA256 (x) = ) = " + sumA + "\n- - SHA256 (y) = " + sumB))
	f.Fuzz(func(t *testing.T, b []byte) {
		for name, sum := range ParseChecksum(b) {
			if !fileName(name) || strings.ContainsAny(name, "/\n\r") {
				t.Fatalf("name %q is not a file of the directory", name)
			}
			if len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
				t.Fatalf("sha256 %q of %q is not 64 lower-case hex digits", sum, name)
			}
		}
	})
}

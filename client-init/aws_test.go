package clientinit

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

const mockInstall = "go install github.com/aws/amazon-ec2-metadata-mock/cmd/ec2-metadata-mock@v1.13.0"

// startIMDSMock runs AWS's ec2-metadata-mock on a free loopback port with
// the given metadata values, IMDSv2-only when v2Only, and returns its URL.
func startIMDSMock(t *testing.T, v2Only bool, values map[string]string) string {
	t.Helper()
	bin := testpeer.Require(t, "ec2-metadata-mock", mockInstall)
	dir := t.TempDir()
	config := filepath.Join(dir, "aemm-config.json")
	b, err := json.Marshal(map[string]any{"metadata": map[string]any{"values": values}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, b, 0o644); err != nil {
		t.Fatal(err)
	}
	addr := testpeer.FreeAddr(t)
	args := []string{"-n", "127.0.0.1", "-p", portOf(t, addr), "-c", config}
	if v2Only {
		args = append(args, "-I")
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+dir) // the mock reads and writes config under HOME
	log, err := os.Create(filepath.Join(dir, "mock.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	cmd.Stdout, cmd.Stderr = log, log
	startPeer(t, cmd, addr)
	return "http://" + addr
}

var euWest1 = map[string]string{"placement-region": "eu-west-1", "placement-availability-zone": "eu-west-1b"}

func TestAWSMetadataMock(t *testing.T) {
	tests := []struct {
		name   string
		v2Only bool
		values map[string]string
		args   []string
		want   string
	}{
		{"IMDSv2-only service", true, euWest1, nil, "eu-west-1\n"},
		{"IMDSv1 and v2 service uses a token", false, euWest1, nil, "eu-west-1\n"},
		{"IMDSv1 allowed still prefers IMDSv2", true, euWest1, []string{"--allow-imdsv1"}, "eu-west-1\n"},
		{"mock's default region", true, nil, nil, "us-east-1\n"},
		{"format template", true, euWest1, []string{"--format", "{{.Provider}}-{{.Region}}"}, "aws-eu-west-1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mock := startIMDSMock(t, tt.v2Only, tt.values)
			root := t.TempDir()
			args := withEndpoints(mock, closedEndpoint(t), closedEndpoint(t), append(tt.args, "--root", root, "--provider", "aws")...)
			if res := runInProcess(t, args...); res.code != exitOK {
				t.Fatalf("exit %d, want %d", res.code, exitOK)
			}
			wantVars(t, root, tt.want)
		})
	}
}

// TestAWSMockAuto points every cloud at the same mock, as on EC2 where all
// three protocols reach 169.254.169.254: only AWS's may answer.
func TestAWSMockAuto(t *testing.T) {
	mock := startIMDSMock(t, true, euWest1)
	root := t.TempDir()
	res := runInProcess(t, withEndpoints(mock, mock, mock, "--root", root)...)
	if res.code != exitOK || !strings.Contains(res.log, "provider=aws") {
		t.Fatalf("exit %d, want %d with provider=aws", res.code, exitOK)
	}
	wantVars(t, root, "eu-west-1\n")
}

func TestAWSMockBadAnswers(t *testing.T) {
	tests := []struct {
		name, region, why string
	}{
		{"empty region", "", "answer is empty"},
		{"upper case and blanks", "EU West 1", "outside printable ASCII"},
		{"not a location name", "eu_west_1", "not a region name"},
		{"HTML page", "<html><body>Sign in to continue</body></html>", "HTML"},
		{"huge answer", strings.Repeat("eu-west-1", 600), "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mock := startIMDSMock(t, true, map[string]string{"placement-region": tt.region})
			root := t.TempDir()
			seedVars(t, root, "eu-central-1\n")
			res := runInProcess(t, withEndpoints(mock, closedEndpoint(t), closedEndpoint(t), "--root", root)...)
			if res.code != exitBadAnswer || !strings.Contains(res.log, tt.why) {
				t.Errorf("exit %d, want %d with %q in the log", res.code, exitBadAnswer, tt.why)
			}
			wantVars(t, root, "eu-central-1\n")
		})
	}
}

// imdsFilter is a loopback proxy in front of the mock that stands for
// metadata services the mock cannot play: one that refuses IMDSv2 tokens
// (such as an EC2-compatible service of another cloud) or one that lacks
// placement/region. It records the token TTL asked for.
type imdsFilter struct {
	refuseTokens bool
	lackRegion   bool
	ttls         []string
}

func (f *imdsFilter) start(t *testing.T, mock string) string {
	t.Helper()
	target, err := url.Parse(mock)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/latest/api/token" {
			f.ttls = append(f.ttls, r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds"))
			if f.refuseTokens {
				http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
				return
			}
		}
		if f.lackRegion && r.URL.Path == "/latest/meta-data/placement/region" {
			http.NotFound(w, r)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestAWSFallbacks(t *testing.T) {
	tests := []struct {
		name   string
		v2Only bool
		filter imdsFilter
		values map[string]string
		args   []string
		code   int
		want   string
		why    string
	}{
		{"tokens refused, IMDSv1 not allowed", false, imdsFilter{refuseTokens: true}, euWest1, nil,
			ExitNoMetadata, absentFile, "IMDSv1 is not allowed"},
		{"tokens refused, IMDSv1 allowed", false, imdsFilter{refuseTokens: true}, euWest1, []string{"--allow-imdsv1"},
			exitOK, "eu-west-1\n", "provider=aws"},
		{"no placement/region: zone minus its letter", true, imdsFilter{lackRegion: true}, euWest1, nil,
			exitOK, "eu-west-1\n", "provider=aws"},
		{"no placement/region, zone not a zone name", true, imdsFilter{lackRegion: true},
			map[string]string{"placement-availability-zone": "nova"}, nil, exitBadAnswer, absentFile, "not a zone name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			filter := tt.filter
			endpoint := filter.start(t, startIMDSMock(t, tt.v2Only, tt.values))
			root := t.TempDir()
			args := withEndpoints(endpoint, closedEndpoint(t), closedEndpoint(t), append(tt.args, "--root", root)...)
			res := runInProcess(t, args...)
			if res.code != tt.code || !strings.Contains(res.log, tt.why) {
				t.Errorf("exit %d, want %d with %q in the log", res.code, tt.code, tt.why)
			}
			wantVars(t, root, tt.want)
			for _, ttl := range filter.ttls {
				if ttl != awsTokenTTL {
					t.Errorf("token TTL asked = %q, want %q", ttl, awsTokenTTL)
				}
			}
		})
	}
}

package mirrorsync

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/metalinkd/metalinkd/internal/testpeer"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const (
	testAccess = "mirrorsyncaccess"
	testSecret = "mirrorsyncsecret0123456789"
)

// versity is a running versitygw over a temporary directory.
type versity struct {
	Endpoint string // http://127.0.0.1:PORT
	Dir      string
	Log      string // its output, one line per request with status, method and path
}

// startVersity starts `versitygw posix` on a loopback port and stops it, by
// its pid, when the test ends.
func startVersity(t testing.TB) *versity {
	t.Helper()
	bin := testpeer.Require(t, "versitygw", "see scripts/test.sh")
	dir := t.TempDir()
	addr := testpeer.FreeAddr(t)
	logPath := filepath.Join(t.TempDir(), "versitygw.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	// Registered before the process's stop, so it runs after it.
	t.Cleanup(func() { logf.Close() })
	cmd := exec.Command(bin, "-a", testAccess, "-s", testSecret, "-p", addr, "posix", dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	p := testpeer.Start(t, cmd)
	if err := testpeer.WaitReady(p, 30*time.Second, testpeer.Listening(addr)); err != nil {
		t.Fatalf("versitygw did not listen on %s: %v", addr, err)
	}
	return &versity{Endpoint: "http://" + addr, Dir: dir, Log: logPath}
}

// adminS3 is an S3 client with the gateway's root credentials, for setting
// up and inspecting buckets.
func adminS3(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(testAccess, testSecret, ""),
	})
}

// createBucket makes a bucket on the gateway.
func createBucket(t testing.TB, endpoint, name string) {
	t.Helper()
	_, err := adminS3(endpoint).CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)})
	if err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
}

// useProfile writes an AWS shared config with a named profile holding the
// gateway's credentials and points the SDK's standard chain at it.
func useProfile(t testing.TB, profile string) {
	t.Helper()
	dir := t.TempDir()
	creds := fmt.Sprintf("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", profile, testAccess, testSecret)
	if err := os.WriteFile(filepath.Join(dir, "credentials"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("[profile "+profile+"]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

package mirrorsync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	buildinfo "github.com/metalinkd/metalinkd/internal/version"
)

// bucket is one region's bucket, addressed by tree paths under its prefix.
type bucket struct {
	s3       *s3.Client
	name     string
	prefix   string
	Requests *counter
	partSize int64
	// multipart is the size from which uploads go in parts.
	multipart int64
	// partConcurrency bounds the parts of one upload sent at once.
	partConcurrency int
	// breaker stops the bucket's requests once its endpoint keeps failing.
	breaker *breaker
}

// object is an object of a bucket listing, named by its tree path.
type object struct {
	Path     string
	Size     int64
	ETag     string
	Modified time.Time
}

// newBucket builds the S3 client of a region: the standard credential chain
// (with the region's named profile, if any), retries with backoff on
// throttling, 5xx and timeouts, and the endpoint override for S3-compatible
// servers.
func newBucket(ctx context.Context, c *config, r *region) (*bucket, error) {
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.ResponseHeaderTimeout = time.Duration(c.RequestTimeout)
		tr.MaxIdleConnsPerHost = 2 * c.Concurrency
	})
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(r.Name),
		awsconfig.WithHTTPClient(httpClient),
		awsconfig.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		awsconfig.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = c.MaxAttempts
				o.MaxBackoff = time.Duration(c.MaxBackoff)
				// The token bucket would stop retrying after a burst of
				// throttling, which is exactly when backing off matters.
				o.RateLimiter = ratelimit.None
			})
		}),
	}
	if r.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(r.Profile))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, configError("region %s: aws config: %v", r.Name, err)
	}
	counter := newCounter()
	br := &breaker{limit: c.MaxConnectionFailures}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if r.Endpoint != "" {
			o.BaseEndpoint = aws.String(r.Endpoint)
		}
		o.UsePathStyle = r.PathStyle
		o.APIOptions = append(o.APIOptions, counter.middleware, br.middleware,
			awsmiddleware.AddUserAgentKeyValue("mirror-sync", buildinfo.Get().Version))
	})
	return &bucket{s3: client, name: r.Bucket, prefix: r.Prefix, Requests: counter, breaker: br,
		partSize: c.PartSize, multipart: c.MultipartThreshold, partConcurrency: c.PartConcurrency}, nil
}

// key is the object key of a tree path.
func (b *bucket) key(treePath string) string {
	if b.prefix == "" {
		return treePath
	}
	return b.prefix + "/" + treePath
}

// list lists every object whose tree path starts with under ("" for all),
// following continuation tokens past 1,000 keys.
func (b *bucket) list(ctx context.Context, under string) ([]object, error) {
	keyPrefix := b.key(under)
	if under == "" && b.prefix != "" {
		keyPrefix = b.prefix + "/"
	}
	var out []object
	p := s3.NewListObjectsV2Paginator(b.s3, &s3.ListObjectsV2Input{Bucket: &b.name, Prefix: &keyPrefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, b.wrap("list", under, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			rel := key
			if b.prefix != "" {
				rel = strings.TrimPrefix(key, b.prefix+"/")
			}
			out = append(out, object{Path: rel, Size: aws.ToInt64(o.Size), ETag: normalETag(aws.ToString(o.ETag)), Modified: aws.ToTime(o.LastModified)})
		}
	}
	return out, nil
}

// head returns an object's size, ETag and the checksums kept in its metadata.
func (b *bucket) head(ctx context.Context, treePath string) (object, map[string]string, error) {
	out, err := b.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b.name, Key: aws.String(b.key(treePath))})
	if err != nil {
		return object{}, nil, b.wrap("head", treePath, err)
	}
	sums := map[string]string{}
	for k, v := range out.Metadata {
		sums[strings.ToLower(k)] = strings.ToLower(v)
	}
	return object{Path: treePath, Size: aws.ToInt64(out.ContentLength), ETag: normalETag(aws.ToString(out.ETag)), Modified: aws.ToTime(out.LastModified)}, sums, nil
}

// get reads a whole (small) object.
func (b *bucket) get(ctx context.Context, treePath string) ([]byte, error) {
	out, err := b.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &b.name, Key: aws.String(b.key(treePath))})
	if err != nil {
		return nil, b.wrap("get", treePath, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, b.wrap("get", treePath, err)
	}
	return body, nil
}

// putBytes stores a small object from memory.
func (b *bucket) putBytes(ctx context.Context, treePath string, body []byte, contentType string) (string, error) {
	sum := sha256Hex(body)
	return b.put(ctx, treePath, bytes.NewReader(body), int64(len(body)), map[string]string{"sha256": sum}, contentType, nil)
}

// deleteObjects removes objects in batches of 1,000, reporting any key that failed.
func (b *bucket) deleteObjects(ctx context.Context, treePaths []string) error {
	for len(treePaths) > 0 {
		n := min(len(treePaths), 1000)
		batch := make([]types.ObjectIdentifier, n)
		for i, p := range treePaths[:n] {
			batch[i] = types.ObjectIdentifier{Key: aws.String(b.key(p))}
		}
		out, err := b.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &b.name, Delete: &types.Delete{Objects: batch, Quiet: aws.Bool(true)}})
		if err != nil {
			return b.wrap("delete", treePaths[0], err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("bucket %s: delete %s: %s %s (%d failed)", b.name, aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message), len(out.Errors))
		}
		treePaths = treePaths[n:]
	}
	return nil
}

// wrap translates SDK errors at the adapter: missing objects become
// ErrNotFound, an S3 error answer its code and message, an open breaker
// its own error. A bucket-wide operation (treePath "") names no key.
func (b *bucket) wrap(op, treePath string, err error) error {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	var api smithy.APIError
	switch {
	case errors.As(err, &nsk) || errors.As(err, &nf) || (errors.As(err, &api) && api.ErrorCode() == "NoSuchKey"):
		err = ErrNotFound
	case errors.Is(err, errBreaker):
		err = b.breaker.tripped()
	case errors.As(err, &api):
		err = &apiError{code: api.ErrorCode(), msg: api.ErrorMessage(), err: err}
	}
	if treePath == "" {
		return fmt.Errorf("bucket %s: %s: %w", b.name, op, err)
	}
	return fmt.Errorf("bucket %s: %s %s: %w", b.name, op, path.Join(b.prefix, treePath), err)
}

// apiError is an S3 error answer, said in one line.
type apiError struct {
	code, msg string
	err       error
}

func (e *apiError) Error() string {
	if e.msg == "" {
		return e.code
	}
	return e.code + ": " + e.msg
}

func (e *apiError) Unwrap() error { return e.err }

func normalETag(e string) string { return strings.Trim(e, `"`) }

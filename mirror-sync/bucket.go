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
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Bucket is one region's bucket, addressed by tree paths under its prefix.
type Bucket struct {
	s3       *s3.Client
	name     string
	prefix   string
	Requests *Counter
	partSize int64
	// multipart is the size from which uploads go in parts.
	multipart int64
}

// Object is an object of a bucket listing, named by its tree path.
type Object struct {
	Path     string
	Size     int64
	ETag     string
	Modified time.Time
}

// NewBucket builds the S3 client of a region: the standard credential chain
// (with the region's named profile, if any), retries with backoff on
// throttling, 5xx and timeouts, and the endpoint override for S3-compatible
// servers.
func NewBucket(ctx context.Context, c *Config, r *Region) (*Bucket, error) {
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.ResponseHeaderTimeout = time.Duration(c.RequestTimeout)
		tr.MaxIdleConnsPerHost = 2 * c.Concurrency
	})
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(r.Name),
		config.WithHTTPClient(httpClient),
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
		config.WithRetryer(func() aws.Retryer {
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
		opts = append(opts, config.WithSharedConfigProfile(r.Profile))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("region %s: aws config: %v: %w", r.Name, err, ErrConfig)
	}
	counter := NewCounter()
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if r.Endpoint != "" {
			o.BaseEndpoint = aws.String(r.Endpoint)
		}
		o.UsePathStyle = r.PathStyle
		o.APIOptions = append(o.APIOptions, counter.middleware)
	})
	return &Bucket{s3: client, name: r.Bucket, prefix: r.Prefix, Requests: counter,
		partSize: c.PartSize, multipart: c.MultipartThreshold}, nil
}

// Key is the object key of a tree path.
func (b *Bucket) Key(treePath string) string {
	if b.prefix == "" {
		return treePath
	}
	return b.prefix + "/" + treePath
}

// List lists every object whose tree path starts with under ("" for all),
// following continuation tokens past 1,000 keys.
func (b *Bucket) List(ctx context.Context, under string) ([]Object, error) {
	keyPrefix := b.Key(under)
	if under == "" && b.prefix != "" {
		keyPrefix = b.prefix + "/"
	}
	var out []Object
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
			out = append(out, Object{Path: rel, Size: aws.ToInt64(o.Size), ETag: normalETag(aws.ToString(o.ETag)), Modified: aws.ToTime(o.LastModified)})
		}
	}
	return out, nil
}

// Head returns an object's size, ETag and the checksums kept in its metadata.
func (b *Bucket) Head(ctx context.Context, treePath string) (Object, map[string]string, error) {
	out, err := b.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b.name, Key: aws.String(b.Key(treePath))})
	if err != nil {
		return Object{}, nil, b.wrap("head", treePath, err)
	}
	sums := map[string]string{}
	for k, v := range out.Metadata {
		sums[strings.ToLower(k)] = strings.ToLower(v)
	}
	return Object{Path: treePath, Size: aws.ToInt64(out.ContentLength), ETag: normalETag(aws.ToString(out.ETag)), Modified: aws.ToTime(out.LastModified)}, sums, nil
}

// Get reads a whole (small) object.
func (b *Bucket) Get(ctx context.Context, treePath string) ([]byte, error) {
	out, err := b.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &b.name, Key: aws.String(b.Key(treePath))})
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

// PutBytes stores a small object from memory.
func (b *Bucket) PutBytes(ctx context.Context, treePath string, body []byte, contentType string) (string, error) {
	sum := sha256Hex(body)
	return b.put(ctx, treePath, bytes.NewReader(body), int64(len(body)), map[string]string{"sha256": sum}, contentType)
}

// Delete removes objects in batches of 1,000, reporting any key that failed.
func (b *Bucket) Delete(ctx context.Context, treePaths []string) error {
	for len(treePaths) > 0 {
		n := min(len(treePaths), 1000)
		batch := make([]types.ObjectIdentifier, n)
		for i, p := range treePaths[:n] {
			batch[i] = types.ObjectIdentifier{Key: aws.String(b.Key(p))}
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

// wrap translates SDK errors at the adapter: missing objects become ErrNotFound.
func (b *Bucket) wrap(op, treePath string, err error) error {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	var api smithy.APIError
	if errors.As(err, &nsk) || errors.As(err, &nf) || (errors.As(err, &api) && api.ErrorCode() == "NoSuchKey") {
		err = ErrNotFound
	}
	return fmt.Errorf("bucket %s: %s %s: %w", b.name, op, path.Join(b.prefix, treePath), err)
}

func normalETag(e string) string { return strings.Trim(e, `"`) }

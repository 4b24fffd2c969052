package mirrorsync

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// body is what an upload reads from: a file or bytes in memory, both of which
// the SDK can rewind for a retry and multipart can read in sections.
type body interface {
	io.ReadSeeker
	io.ReaderAt
}

// put stores an object whose sha256 (hex, in sums) is known. S3 checks the
// x-amz-checksum-sha256 of every PUT and part, and the sums are kept in the
// object's metadata for later diffs. sent, when not nil, is told of the
// bytes as the SDK reads them. It returns the new ETag.
func (b *bucket) put(ctx context.Context, treePath string, r body, size int64, sums map[string]string, contentType string, sent func(int64)) (string, error) {
	if size >= b.multipart && size > b.partSize {
		return b.putMultipart(ctx, treePath, r, size, sums, contentType, sent)
	}
	if sent != nil {
		r = &countingBody{body: r, add: sent}
	}
	sum, err := b64Sum(sums["sha256"])
	if err != nil {
		return "", err
	}
	in := &s3.PutObjectInput{
		Bucket: &b.name, Key: aws.String(b.key(treePath)), Body: r, ContentLength: aws.Int64(size),
		ChecksumSHA256: aws.String(sum), Metadata: sums,
	}
	if contentType != "" {
		in.ContentType = aws.String(contentType)
	}
	out, err := b.s3.PutObject(ctx, in)
	if err != nil {
		return "", b.wrap("put", treePath, err)
	}
	return normalETag(aws.ToString(out.ETag)), nil
}

// putMultipart uploads r in parts of partSize, partConcurrency at once, each
// with its own sha256 for S3 to check; the object keeps the whole file's
// checksums in its metadata, as a single PUT does. Not the SDK's upload
// manager: it aborts a failed upload with the caller's context, which a
// deadline or a signal has already cancelled, leaving the parts stored.
func (b *bucket) putMultipart(ctx context.Context, treePath string, r body, size int64, sums map[string]string, contentType string, sent func(int64)) (string, error) {
	key := aws.String(b.key(treePath))
	in := &s3.CreateMultipartUploadInput{Bucket: &b.name, Key: key, Metadata: sums, ChecksumAlgorithm: types.ChecksumAlgorithmSha256}
	if contentType != "" {
		in.ContentType = aws.String(contentType)
	}
	created, err := b.s3.CreateMultipartUpload(ctx, in)
	if err != nil {
		return "", b.wrap("create multipart", treePath, err)
	}
	abort := func(err error) (string, error) {
		// A fresh context, since the caller's may be the reason we stop,
		// but a bounded one: the endpoint may be why it was.
		actx, cancel := cleanupContext(ctx)
		defer cancel()
		_, _ = b.s3.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: &b.name, Key: key, UploadId: created.UploadId})
		return "", err
	}
	var sections []int64
	for off := int64(0); off < size; off += b.partSize {
		sections = append(sections, off)
	}
	parts := make([]types.CompletedPart, len(sections))
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err = forEach(pctx, max(b.partConcurrency, 1), sections, func(ctx context.Context, off int64) error {
		n := int32(off/b.partSize) + 1
		length := min(b.partSize, size-off)
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(r, off, length)); err != nil {
			cancel()
			return fmt.Errorf("bucket %s: part %d of %s: %w", b.name, n, treePath, err)
		}
		partSum := base64.StdEncoding.EncodeToString(h.Sum(nil))
		var part body = io.NewSectionReader(r, off, length)
		if sent != nil {
			part = &countingBody{body: part, add: sent}
		}
		out, err := b.s3.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: &b.name, Key: key, UploadId: created.UploadId, PartNumber: aws.Int32(n),
			Body: part, ContentLength: aws.Int64(length), ChecksumSHA256: aws.String(partSum),
		})
		if err != nil {
			// One failed part dooms the upload: stop sending the others.
			cancel()
			return b.wrap(fmt.Sprintf("upload part %d", n), treePath, err)
		}
		parts[n-1] = types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag, ChecksumSHA256: aws.String(partSum)}
		return nil
	})
	if err != nil {
		return abort(err)
	}
	done, err := b.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &b.name, Key: key, UploadId: created.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return abort(b.wrap("complete multipart", treePath, err))
	}
	return normalETag(aws.ToString(done.ETag)), nil
}

// cleanupTimeout bounds the requests that tidy up after a failure or a
// deadline, so a hung endpoint cannot hold a stopped run.
const cleanupTimeout = 30 * time.Second

// cleanupContext is ctx without its cancellation, bounded by cleanupTimeout.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}

// b64Sum turns a hex sha256 into the base64 form of x-amz-checksum-sha256.
func b64Sum(hexSum string) (string, error) {
	raw, err := hex.DecodeString(hexSum)
	if err != nil || len(raw) != sha256.Size {
		return "", fmt.Errorf("sha256 %q: %w", hexSum, errChecksum)
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

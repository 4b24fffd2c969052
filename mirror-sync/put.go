package mirrorsync

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"

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
// object's metadata for later diffs. It returns the new ETag.
func (b *bucket) put(ctx context.Context, treePath string, r body, size int64, sums map[string]string, contentType string) (string, error) {
	if size >= b.multipart && size > b.partSize {
		return b.putMultipart(ctx, treePath, r, size, sums, contentType)
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

func (b *bucket) putMultipart(ctx context.Context, treePath string, r body, size int64, sums map[string]string, contentType string) (string, error) {
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
		// A fresh context: the caller's may be the reason we stop.
		_, _ = b.s3.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: &b.name, Key: key, UploadId: created.UploadId})
		return "", err
	}
	var parts []types.CompletedPart
	for n, off := int32(1), int64(0); off < size; n, off = n+1, off+b.partSize {
		length := min(b.partSize, size-off)
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(r, off, length)); err != nil {
			return abort(fmt.Errorf("bucket %s: part %d of %s: %w", b.name, n, treePath, err))
		}
		partSum := base64.StdEncoding.EncodeToString(h.Sum(nil))
		out, err := b.s3.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: &b.name, Key: key, UploadId: created.UploadId, PartNumber: aws.Int32(n),
			Body: io.NewSectionReader(r, off, length), ContentLength: aws.Int64(length), ChecksumSHA256: aws.String(partSum),
		})
		if err != nil {
			return abort(b.wrap("upload part", treePath, err))
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag, ChecksumSHA256: aws.String(partSum)})
	}
	done, err := b.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &b.name, Key: key, UploadId: created.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return abort(b.wrap("complete multipart", treePath, err))
	}
	return normalETag(aws.ToString(done.ETag)), nil
}

// b64Sum turns a hex sha256 into the base64 form of x-amz-checksum-sha256.
func b64Sum(hexSum string) (string, error) {
	raw, err := hex.DecodeString(hexSum)
	if err != nil || len(raw) != sha256.Size {
		return "", fmt.Errorf("sha256 %q: %w", hexSum, errChecksum)
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

package mirrorsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// provisionResult says what provision did to a region's bucket.
type provisionResult struct {
	Bucket        string
	Created       bool // the bucket did not exist
	PolicyApplied bool // the bucket policy was (re)written
	BucketPolicy  *policy
	IAMPolicy     *policy
}

// provision creates the region's bucket if needed and applies its bucket
// policy when the applied one differs (a new ip-ranges.json syncToken or
// changed settings). With dryRun it only computes both policies.
func provision(ctx context.Context, cfg *config, r *region, dryRun bool, log *slog.Logger) (*provisionResult, error) {
	ir, err := loadIPRanges(ctx, cfg.IPRanges, &http.Client{Timeout: time.Minute})
	if err != nil {
		return nil, err
	}
	bp, err := bucketPolicy(r, ir)
	if err != nil {
		return nil, err
	}
	res := &provisionResult{Bucket: r.Bucket, BucketPolicy: bp, IAMPolicy: syncIdentityPolicy(r)}
	if dryRun {
		return res, nil
	}
	b, err := newBucket(ctx, cfg, r)
	if err != nil {
		return nil, err
	}
	if res.Created, err = b.create(ctx, r.Name); err != nil {
		return nil, err
	}
	if res.Created {
		log.Info("bucket created", "region", r.Name, "bucket", r.Bucket)
	}
	applied, err := b.policy(ctx)
	if err != nil {
		return nil, err
	}
	if policySid(applied) == bp.Statement[0].Sid {
		log.Info("bucket policy is current", "region", r.Name, "bucket", r.Bucket, "sync_token", ir.SyncToken)
		return res, nil
	}
	if err := b.allowPolicy(ctx, log); err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(bp)
	if _, err := b.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &b.name, Policy: aws.String(string(raw))}); err != nil {
		return nil, b.wrap("put bucket policy", "", err)
	}
	res.PolicyApplied = true
	log.Info("bucket policy applied", "region", r.Name, "bucket", r.Bucket, "sync_token", ir.SyncToken)
	return res, nil
}

// create makes the bucket in its region; one we already own is fine.
func (b *bucket) create(ctx context.Context, region string) (bool, error) {
	in := &s3.CreateBucketInput{Bucket: &b.name}
	if region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(region)}
	}
	_, err := b.s3.CreateBucket(ctx, in)
	var owned *types.BucketAlreadyOwnedByYou
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &owned):
		return false, nil
	}
	return false, b.wrap("create bucket", "", err)
}

// policy returns the applied bucket policy, "" when there is none.
func (b *bucket) policy(ctx context.Context) (string, error) {
	out, err := b.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &b.name})
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "NoSuchBucketPolicy" {
		return "", nil
	}
	if err != nil {
		return "", b.wrap("get bucket policy", "", err)
	}
	return aws.ToString(out.Policy), nil
}

// allowPolicy lets a conditional public-read policy through Block Public
// Access (which AWS turns on for new buckets) while still refusing ACLs.
// Servers without the API are told and skipped.
func (b *bucket) allowPolicy(ctx context.Context, log *slog.Logger) error {
	_, err := b.s3.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: &b.name,
		PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{
			BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true),
			BlockPublicPolicy: aws.Bool(false), RestrictPublicBuckets: aws.Bool(false),
		}})
	var api smithy.APIError
	if errors.As(err, &api) && (api.ErrorCode() == "NotImplemented" || api.ErrorCode() == "MethodNotAllowed") {
		log.Info("server has no public access block; skipped", "bucket", b.name)
		return nil
	}
	if err != nil {
		return b.wrap("put public access block", "", err)
	}
	return nil
}

// printPolicies writes both policies as indented JSON under comment lines.
func printPolicies(w io.Writer, r *region, res *provisionResult) {
	bp, _ := json.MarshalIndent(res.BucketPolicy, "", "  ")
	iam, _ := json.MarshalIndent(res.IAMPolicy, "", "  ")
	fmt.Fprintf(w, "# bucket policy of %s (region %s)\n%s\n# IAM policy of the sync identity of region %s\n%s\n", r.Bucket, r.Name, bp, r.Name, iam)
}

import type { StackResource } from "./awsx.ts";
import { ofTypes, stackRule, unreferenced } from "./rule.ts";
import { T } from "./types.ts";

/** Buckets no companion of the given kind configures (companions reference a bucket by its name, its id). */
function bucketsWithout(resources: readonly StackResource[], companions: readonly StackResource[]): StackResource[] {
  return unreferenced(ofTypes(resources, T.bucket), companions, (c) => c.props.bucket, (b) => [b.props.id, b.props.bucket]);
}

const BLOCK_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

export const s3PublicAccessBlocked = stackRule({
  name: "s3-public-access-blocked",
  area: "storage",
  severity: "critical",
  types: [...T.bucket, ...T.bucketPublicAccessBlock],
  description: "Every S3 bucket has a public access block resource with all four settings on. A bucket without one is a finding although AWS blocks public access on every new bucket since April 2023: that default is a bucket setting outside the stack, so a later `PutPublicAccessBlock` (console, script, another tool) turns it off and `pulumi up` neither notices nor restores it; an explicit block is reviewed in code and put back by every update.",
  why: "One public ACL or bucket policy would publish uploads, backups or logs to the internet; only a block the stack owns stays on.",
  remediationSteps: "Add `aws.s3.BucketPublicAccessBlock` for the bucket with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true; serve public files through CloudFront.",
  check: (resources) => {
    const blocks = ofTypes(resources, T.bucketPublicAccessBlock);
    const weak = blocks.filter((b) => BLOCK_FLAGS.some((f) => b.props[f] !== true))
      .map((b) => ({ message: `public access block ${b.name} leaves ${BLOCK_FLAGS.filter((f) => b.props[f] !== true).join(", ")} off`, urn: b.urn }));
    const missing = bucketsWithout(resources, blocks)
      .map((b) => ({ message: `bucket ${b.name} has no public access block`, urn: b.urn }));
    return [...weak, ...missing];
  },
});

export const s3Encrypted = stackRule({
  name: "s3-encrypted",
  area: "storage",
  severity: "medium",
  types: [...T.bucket, ...T.bucketEncryption],
  description: "Every S3 bucket has an explicit server-side encryption configuration. Advisory, not a blocker: since January 2023 S3 encrypts every object with SSE-S3 and that cannot be switched off, so a bucket without the configuration is encrypted; what it lacks is SSE-KMS, whose key policy and CloudTrail record are a second, auditable control over reads.",
  why: "An explicit configuration (ideally SSE-KMS with the platform key) makes encryption visible in review and lets key policies control access; the AWS default (SSE-S3) only protects against stolen disks.",
  remediationSteps: "Add `aws.s3.BucketServerSideEncryptionConfiguration` with `sseAlgorithm: \"aws:kms\"` (or `AES256` for ALB log buckets, which cannot use KMS).",
  check: (resources) => bucketsWithout(resources, ofTypes(resources, T.bucketEncryption))
    .map((b) => ({ message: `bucket ${b.name} has no server-side encryption configuration (S3 applies SSE-S3 by default; no KMS key policy controls reads)`, urn: b.urn })),
});

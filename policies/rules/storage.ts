import type { PolicyResource } from "@pulumi/policy";
import { ofTypes, stackRule, unreferenced } from "./rule.ts";
import { T } from "./types.ts";

/** Buckets no companion of the given kind configures (companions reference a bucket by its name, its id). */
function bucketsWithout(resources: readonly PolicyResource[], companions: readonly PolicyResource[]): PolicyResource[] {
  return unreferenced(ofTypes(resources, T.bucket), companions, (c) => c.props.bucket, (b) => [b.props.id, b.props.bucket]);
}

const BLOCK_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

export const s3PublicAccessBlocked = stackRule({
  name: "s3-public-access-blocked",
  area: "storage",
  severity: "critical",
  description: "Every S3 bucket has a public access block with all four settings on.",
  why: "One public ACL or bucket policy would publish uploads, backups or logs to the internet.",
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
  severity: "high",
  description: "Every S3 bucket has a server-side encryption configuration.",
  why: "An explicit configuration (ideally SSE-KMS with the platform key) makes encryption auditable and lets key policies control access.",
  remediationSteps: "Add `aws.s3.BucketServerSideEncryptionConfiguration` with `sseAlgorithm: \"aws:kms\"` (or `AES256` for ALB log buckets, which cannot use KMS).",
  check: (resources) => bucketsWithout(resources, ofTypes(resources, T.bucketEncryption))
    .map((b) => ({ message: `bucket ${b.name} has no server-side encryption configuration`, urn: b.urn })),
});

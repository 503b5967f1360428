import { ofTypes } from "../../core/relations.ts";
import { T } from "../../core/resource-types.ts";
import { stackRule } from "../../core/rule.ts";
import { bucketsWithout } from "./buckets.ts";

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

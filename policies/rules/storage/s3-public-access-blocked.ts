import { ofTypes } from "../../core/relations.ts";
import { T } from "../../core/resource-types.ts";
import { stackRule } from "../../core/rule.ts";
import { bucketsWithout } from "./buckets.ts";

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

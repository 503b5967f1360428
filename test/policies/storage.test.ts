import { bucket, djangoEnv, res, task } from "./resources.ts";
import { ruleCases } from "./rule-cases.ts";

const pab = (flags: Partial<Record<string, boolean>> = {}) => res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "media-pab", {
  bucket: "media-bucket", blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true, ...flags,
});

ruleCases("storage", {
  "cors-not-wildcard": {
    compliant: () => [task(djangoEnv()), res("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", "cors", { corsRules: [{ allowedOrigins: ["https://app.example.com"] }] })],
    noncompliant: {
      "S3 CORS *": () => [res("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", "cors", { corsRules: [{ allowedOrigins: ["*"] }] })],
      "container CORS_ALLOWED_ORIGINS *": () => [task(djangoEnv({ CORS_ALLOWED_ORIGINS: "*" }))],
      "container CORS_ALLOW_ALL_ORIGINS": () => [task(djangoEnv({ CORS_ALLOW_ALL_ORIGINS: "True" }))],
    },
  },
  "s3-public-access-blocked": {
    compliant: () => [bucket(), pab()],
    noncompliant: { "no block": () => [bucket()], "a flag off": () => [bucket(), pab({ restrictPublicBuckets: false })] },
  },
  "s3-encrypted": {
    compliant: () => [bucket(), res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "sse", { bucket: "media-bucket", rules: [] })],
    noncompliant: { "no SSE configuration (SSE-S3 by default)": () => [bucket()] },
  },
});

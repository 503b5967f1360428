import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { denyInsecureTransport, policyDocument, type PolicyStatement } from "./iam.ts";

export interface StorageArgs {
  /** Encrypts the media and rollout-state buckets. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Origins browsers may upload from and read media on; never `*` in production (config refuses it). */
  readonly corsOrigins: readonly string[];
  /** Days ALB access logs are kept. */
  readonly logRetentionDays: number;
  /** Days a replaced or deleted object version stays restorable. */
  readonly noncurrentVersionDays: number;
  /** Production keeps buckets (and their data) when the stack is destroyed. */
  readonly retainOnDelete: boolean;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The platform's S3 buckets: user media, ALB access logs and the rollout's state and lock.
 * All private (public access blocked, ACLs disabled), versioned, TLS-only, with old versions expired.
 */
export class Storage extends pulumi.ComponentResource {
  readonly mediaBucketName: pulumi.Output<string>;
  readonly mediaBucketArn: pulumi.Output<string>;
  /** Resolves only once the bucket policy that lets ALB deliver logs exists, so the ALB can depend on it. */
  readonly albLogBucketName: pulumi.Output<string>;
  readonly albLogBucketArn: pulumi.Output<string>;
  readonly rolloutStateBucketName: pulumi.Output<string>;
  readonly rolloutStateBucketArn: pulumi.Output<string>;

  constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("readiness:app:Storage", name, {}, opts);
    const bucketOpts: pulumi.CustomResourceOptions = { parent: this, retainOnDelete: args.retainOnDelete };

    const media = privateBucket(`${name}-media`, { ...args, encryption: { kmsKeyArn: args.kmsKeyArn } }, bucketOpts);
    if (args.corsOrigins.length > 0) {
      new aws.s3.BucketCorsConfiguration(`${name}-media-cors`, {
        bucket: media.bucket.id,
        corsRules: [{
          // Browsers upload with presigned PUTs and read with GET; nothing else crosses origins.
          allowedMethods: ["GET", "HEAD", "PUT"],
          allowedOrigins: [...args.corsOrigins],
          allowedHeaders: ["Content-Type", "Content-MD5", "x-amz-*"],
          exposeHeaders: ["ETag"],
          maxAgeSeconds: 3600,
        }],
      }, { parent: this });
    }
    this.mediaBucketName = media.bucket.bucket;
    this.mediaBucketArn = media.bucket.arn;

    // ALB log delivery writes with SSE-S3 only; it cannot use a customer-managed KMS key.
    const elbAccount = aws.elb.getServiceAccountOutput({}, { parent: this });
    const albLogs = privateBucket(`${name}-alb-logs`, {
      ...args, encryption: { sseS3: true }, expireCurrentAfterDays: args.logRetentionDays,
      extraStatements: (arn) => [{
        Sid: "AlbLogDelivery", Effect: "Allow", Principal: { AWS: elbAccount.arn },
        Action: "s3:PutObject", Resource: pulumi.interpolate`${arn}/alb/AWSLogs/*`,
      }],
    }, bucketOpts);
    this.albLogBucketName = pulumi.all([albLogs.bucket.bucket, albLogs.policy.id]).apply(([bucket]) => bucket);
    this.albLogBucketArn = albLogs.bucket.arn;

    const state = privateBucket(`${name}-rollout-state`, { ...args, encryption: { kmsKeyArn: args.kmsKeyArn } }, bucketOpts);
    this.rolloutStateBucketName = state.bucket.bucket;
    this.rolloutStateBucketArn = state.bucket.arn;

    this.registerOutputs({
      mediaBucketName: this.mediaBucketName, albLogBucketName: this.albLogBucketName,
      rolloutStateBucketName: this.rolloutStateBucketName,
    });
  }
}

interface PrivateBucketArgs {
  readonly encryption: { readonly kmsKeyArn: pulumi.Input<string> } | { readonly sseS3: true };
  readonly noncurrentVersionDays: number;
  readonly expireCurrentAfterDays?: number;
  readonly extraStatements?: (bucketArn: pulumi.Output<string>) => PolicyStatement[];
  readonly tags: Readonly<Record<string, string>>;
}

/** A bucket with every companion resource that makes it private, encrypted, versioned and TLS-only. */
function privateBucket(name: string, args: PrivateBucketArgs, opts: pulumi.CustomResourceOptions) {
  const bucket = new aws.s3.Bucket(name, { tags: args.tags }, opts);
  const child = { parent: opts.parent };
  const blocked = new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, {
    bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
  }, child);
  new aws.s3.BucketOwnershipControls(`${name}-ownership`, {
    bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" },
  }, child);
  new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, {
    bucket: bucket.id,
    rules: ["kmsKeyArn" in args.encryption
      ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.encryption.kmsKeyArn }, bucketKeyEnabled: true }
      : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
  }, child);
  const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, {
    bucket: bucket.id, versioningConfiguration: { status: "Enabled" },
  }, child);
  new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, {
    bucket: bucket.id,
    rules: [{
      id: "expire-old-versions", status: "Enabled", filter: {},
      noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionDays },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      ...(args.expireCurrentAfterDays ? { expiration: { days: args.expireCurrentAfterDays } } : {}),
    }],
  }, { parent: opts.parent, dependsOn: [versioning] });
  const policy = new aws.s3.BucketPolicy(`${name}-policy`, {
    bucket: bucket.id,
    policy: policyDocument([
      denyInsecureTransport("s3:*", [bucket.arn, pulumi.interpolate`${bucket.arn}/*`]),
      ...(args.extraStatements?.(bucket.arn) ?? []),
    ]),
  }, { parent: opts.parent, dependsOn: [blocked] });
  return { bucket, policy };
}

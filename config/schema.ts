import { z } from "zod";
import { IMAGE_DIGEST } from "../policies/shared/thresholds.ts";

/**
 * The shape of the `readiness:` config namespace as a user writes it in `Pulumi.<stack>.yaml`.
 * Everything is optional here: defaults come from the environment profile, and what production
 * additionally requires is checked by `productionRules`.
 */

const CLOUDWATCH_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** Pulumi hands every value over as a string; numbers typed in YAML arrive as numbers too. */
const text = z.preprocess((v) => (typeof v === "number" ? String(v) : v), z.string().trim().min(1, "must not be empty"));
const int = (min: number, max: number) =>
  z.coerce.number({ error: "must be a number" }).int("must be a whole number").min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
const num = (min: number, max: number) =>
  z.coerce.number({ error: "must be a number" }).min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
const bool = z.preprocess(
  (v) => (v === "true" ? true : v === "false" ? false : v),
  z.boolean({ error: "must be true or false" }),
);
/** A list may be written as a YAML list or as one comma-separated string. */
const list = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (typeof v === "string" ? v.split(",").map((s) => s.trim()).filter(Boolean) : v), z.array(item));

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
export const cidr = text.refine((v) => IPV4_CIDR.test(v), "is not an IPv4 CIDR");
const retentionDays = z.coerce.number({ error: "must be a number" }).refine(
  (v) => (CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(v),
  `must be one of CloudWatch's retention periods: ${CLOUDWATCH_RETENTION_DAYS.join(", ")}`,
);
const origin = text.refine((v) => v === "*" || /^https?:\/\/[^/\s]+$/.test(v), "is not an origin (scheme://host[:port], no path)");
const envName = /^[A-Z][A-Z0-9_]*$/;

/** Container image: `repo[:tag]` or `repo@sha256:<64 hex>` (the digest as production requires it). */
const IMAGE_REFERENCE = new RegExp(`^[a-z0-9][a-z0-9._\\-/:]*(${IMAGE_DIGEST.source.replace(/\$$/, "")})?$`);
const image = text.refine((v) => IMAGE_REFERENCE.test(v), "is not a container image reference (repo:tag or repo@sha256:digest)");

export const rawConfigSchema = z.strictObject({
  environment: text.optional(),
  network: z.strictObject({
    cidr: cidr.refine((v) => Number(v.split("/")[1]) <= 20, "is too small: the subnets need at least a /20").optional(),
    azCount: int(2, 3).optional(),
    natGateways: z.enum(["single", "one-per-az"], { error: 'must be "single" or "one-per-az"' }).optional(),
    flowLogRetentionDays: retentionDays.optional(),
  }).optional(),
  domain: z.strictObject({
    name: text.refine((v) => /^([a-z0-9-]+\.)+[a-z]{2,}$/i.test(v), "is not a DNS name").optional(),
    certificateArn: text.refine((v) => /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/.test(v), "is not an ACM certificate ARN").optional(),
  }).optional(),
  allowedHosts: list(text).optional(),
  corsOrigins: list(origin).optional(),
  csrfTrustedOrigins: list(origin).optional(),
  alarmEmail: text.refine((v) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v), "is not an e-mail address").optional(),
  adminAllowCidrs: list(cidr).optional(),
  database: z.strictObject({
    engineVersion: text.optional(),
    minCapacity: num(0.5, 256).optional(),
    maxCapacity: num(1, 256).optional(),
    instances: int(1, 15).optional(),
    backupRetentionDays: int(1, 35).optional(),
    deletionProtection: bool.optional(),
    statementTimeoutMs: int(1000, 600000).optional(),
  }).optional(),
  cache: z.strictObject({
    engine: z.enum(["valkey", "redis"], { error: 'must be "valkey" or "redis"' }).optional(),
    engineVersion: text.optional(),
    nodeType: text.refine((v) => /^cache\.[a-z0-9]+\.[a-z0-9]+$/.test(v), "is not an ElastiCache node type (cache.<family>.<size>)").optional(),
    replicas: int(0, 5).optional(),
  }).optional(),
  app: z.strictObject({
    settingsModule: text.refine((v) => /^[A-Za-z_][\w.]*$/.test(v), "is not a Python module path").optional(),
    debug: bool.optional(),
    rateLimitEnabled: bool.optional(),
    port: int(1024, 65535).optional(),
  }).optional(),
  web: z.strictObject({
    image: image.optional(),
    canaryImage: image.optional(),
    canaryWeight: int(0, 100).optional(),
    /** Canary tasks when `pulumi up` runs; the rollout raises it for a rollout and returns it to 0. */
    canaryDesiredCount: int(0, 100).optional(),
    cpu: z.coerce.number().refine((v) => [256, 512, 1024, 2048, 4096, 8192, 16384].includes(v), "must be a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192 or 16384").optional(),
    memory: int(512, 122880).optional(),
    desiredCount: int(1, 100).optional(),
    maxCount: int(1, 200).optional(),
    idleTimeoutSeconds: int(1, 4000).optional(),
  }).optional(),
  worker: z.strictObject({
    command: list(text).optional(),
    cpu: z.coerce.number().refine((v) => [256, 512, 1024, 2048, 4096, 8192, 16384].includes(v), "must be a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192 or 16384").optional(),
    memory: int(512, 122880).optional(),
    desiredCount: int(0, 100).optional(),
    maxCount: int(1, 200).optional(),
  }).optional(),
  waf: z.strictObject({
    rateLimit: int(10, 2_000_000_000).optional(),
  }).optional(),
  logRetentionDays: retentionDays.optional(),
  backup: z.strictObject({
    enabled: bool.optional(),
    retentionDays: int(1, 36500).optional(),
  }).optional(),
  /** Third-party credentials (Sentry DSN, OAuth client secrets, payment keys), by env var name. Secret. */
  thirdPartySecrets: z.record(
    z.string().regex(envName, "must be an environment variable name (UPPER_SNAKE_CASE)"),
    text,
  ).optional(),
});

export type RawConfig = z.infer<typeof rawConfigSchema>;

/** Keys whose values must only ever be set with `pulumi config set --secret`. */
export const SECRET_KEYS = ["thirdPartySecrets"] as const;

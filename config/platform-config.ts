import { ZodObject, ZodOptional, type z } from "zod";
import { suggestion } from "../cli/suggest.ts";
import { PROFILES, type ProfileDefaults } from "./profiles.ts";
import { IMAGE_DIGEST, MIN_BACKUP_DAYS } from "../policies/shared/thresholds.ts";
import { rawConfigSchema, SECRET_KEYS, type RawConfig } from "./schema.ts";
import { resolveStackIdentity, type StackIdentity } from "./stack-identity.ts";

/**
 * Every setting of one stack, validated, with the environment's defaults filled in. Its identity (project,
 * stack, environment) is resolved once, here; components take it from the config, never from the runtime.
 */
export interface PlatformConfig extends StackIdentity {
  readonly region: string;
  readonly network: Readonly<ProfileDefaults["network"]>;
  /** The certificate is required in every environment (the ALB serves HTTPS only); a config without one is refused. */
  readonly domain: { readonly name?: string; readonly certificateArn: string };
  readonly allowedHosts: readonly string[];
  readonly corsOrigins: readonly string[];
  readonly csrfTrustedOrigins: readonly string[];
  readonly alarmEmail?: string;
  readonly adminAllowCidrs: readonly string[];
  readonly database: Readonly<ProfileDefaults["database"]>;
  readonly cache: Readonly<ProfileDefaults["cache"]>;
  readonly app: Readonly<ProfileDefaults["app"]>;
  readonly web: Readonly<ProfileDefaults["web"]> & { readonly image: string; readonly canaryImage: string };
  readonly worker: Readonly<ProfileDefaults["worker"]>;
  readonly waf: Readonly<ProfileDefaults["waf"]>;
  readonly logRetentionDays: number;
  readonly backup: Readonly<ProfileDefaults["backup"]>;
  /** Values are plaintext here: wrap them with `pulumi.secret` at once (the Secrets component does). */
  readonly thirdPartySecrets: Readonly<Record<string, string>>;
  /** Tags every taggable resource carries. */
  readonly tags: Readonly<Record<string, string>>;
}

/** One thing wrong with the config: which key, what value, why, and how to fix it. */
export interface ConfigIssue {
  /** Namespaced and dotted as `pulumi config set --path` takes it, e.g. `readiness:database.instances`. */
  readonly key: string;
  readonly value: unknown;
  readonly problem: string;
  readonly fix: string;
}

export interface ConfigInput {
  readonly project: string;
  readonly stack: string;
  /** `aws:region`, or a default when unset. */
  readonly region?: string;
  /** The project's namespace only, keys without the `project:` prefix, values as Pulumi hands them over. */
  readonly values: Readonly<Record<string, string>>;
  /** Keys (without prefix) that were set with `--secret`. */
  readonly secretKeys: readonly string[];
}

export type ConfigResult =
  | { readonly ok: true; readonly config: PlatformConfig }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      `${issues.length} config problem${issues.length === 1 ? "" : "s"}; nothing was provisioned:\n` +
        issues.map((i) => `  - ${formatIssue(i)}`).join("\n"),
    );
  }
}

export function formatIssue(issue: ConfigIssue): string {
  const shown = issue.value === undefined ? "(not set)" : JSON.stringify(issue.value);
  return `${issue.key} = ${shown}: ${issue.problem}. Fix: ${issue.fix}`;
}

const SECRET_SHOWN = "[secret]";
const REDIS_DEFAULT_VERSION = "7.1";

/**
 * Validates one stack's config against the schema and the environment's rules and fills in defaults.
 * Pure: it reads nothing and registers nothing, so every problem is found before any resource exists.
 */
export function parsePlatformConfig(input: ConfigInput): ConfigResult {
  const ns = input.project;
  const issues: ConfigIssue[] = [];
  const raw = Object.fromEntries(Object.entries(input.values).map(([k, v]) => [k, parseValue(v)]));

  for (const key of SECRET_KEYS) {
    if (raw[key] !== undefined && !input.secretKeys.includes(key)) {
      issues.push({
        key: `${ns}:${key}`, value: SECRET_SHOWN,
        problem: "is stored in plaintext in the stack file",
        fix: `remove it (pulumi config rm ${key} -s ${input.stack}) and set each entry with pulumi config set --secret --path '${key}.NAME' -s ${input.stack}`,
      });
    }
  }

  const identity = resolveStackIdentity(input.project, input.stack, raw.environment);
  if (!identity.ok) issues.push({ key: `${ns}:environment`, ...identity.problem });

  const { data, issues: shapeIssues } = parseShape(ns, input.stack, raw);
  issues.push(...shapeIssues);
  if (!identity.ok) return { ok: false, issues };

  // Rules still run over what parsed, so that one run reports every problem, not just the first kind.
  const config = withDefaults(input, identity.identity, data);
  const reported = new Set(issues.map((i) => i.key));
  const ruleIssues = [...crossFieldRules(config), ...(config.environment === "production" ? productionRules(config) : [])];
  issues.push(...ruleIssues.filter((i) => !reported.has(i.key)));
  return issues.length > 0 ? { ok: false, issues } : { ok: true, config };
}

/**
 * Parses against the schema; each value that fails is reported once and dropped (so its default
 * applies for the remaining checks), and parsing repeats until what is left is valid.
 */
function parseShape(ns: string, stack: string, raw: Record<string, unknown>): { data: RawConfig; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  let remaining: Record<string, unknown> = structuredClone(raw);
  for (;;) {
    const parsed = rawConfigSchema.safeParse(remaining);
    if (parsed.success) return { data: parsed.data, issues };
    for (const zodIssue of parsed.error.issues) {
      for (const issue of fromZod(ns, stack, raw, zodIssue)) if (!issues.some((i) => i.key === issue.key)) issues.push(issue);
      const path = zodIssue.code === "unrecognized_keys" ? zodIssue.path.map(String).concat(zodIssue.keys[0] ?? "") : zodIssue.path.map(String);
      remaining = withoutPath(remaining, path.length > 0 ? path : Object.keys(remaining).slice(0, 1));
    }
  }
}

function withoutPath(obj: Record<string, unknown>, path: readonly string[]): Record<string, unknown> {
  const [head, ...rest] = path;
  if (head === undefined || !(head in obj)) return obj;
  const child = obj[head];
  if (rest.length === 0 || child === null || typeof child !== "object" || Array.isArray(child)) {
    const { [head]: _dropped, ...others } = obj;
    return others;
  }
  return { ...obj, [head]: withoutPath(child as Record<string, unknown>, rest) };
}

/**
 * The same validation from a flat `<namespace>:<key>` map, as the Pulumi runtime (or a stack file read
 * offline) hands config over: keys of other namespaces are ignored, `aws:region` gives the region.
 */
export function parseStackConfig(input: {
  readonly project: string;
  readonly stack: string;
  readonly config: Readonly<Record<string, string>>;
  readonly secretKeys: readonly string[];
}): ConfigResult {
  const prefix = `${input.project}:`;
  const own = (key: string) => key.startsWith(prefix);
  return parsePlatformConfig({
    project: input.project,
    stack: input.stack,
    region: input.config["aws:region"],
    values: Object.fromEntries(Object.entries(input.config).filter(([k]) => own(k)).map(([k, v]) => [k.slice(prefix.length), v])),
    secretKeys: input.secretKeys.filter(own).map((k) => k.slice(prefix.length)),
  });
}

function parseValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function withDefaults(input: ConfigInput, identity: StackIdentity, raw: RawConfig): PlatformConfig {
  const { environment } = identity;
  const p = PROFILES[environment];
  const allowedHosts = raw.allowedHosts ?? (environment === "production" ? [] : ["localhost"]);
  const corsOrigins = raw.corsOrigins ?? [];
  const image = raw.web?.image ?? "";
  return {
    ...identity,
    region: input.region ?? "us-east-1",
    network: { ...p.network, ...raw.network },
    // Empty until the rules below refuse it, as `web.image` is: a config that is returned has both.
    domain: { ...raw.domain, certificateArn: raw.domain?.certificateArn ?? "" },
    allowedHosts,
    corsOrigins,
    csrfTrustedOrigins: raw.csrfTrustedOrigins ?? allowedHosts.filter((h) => !h.includes("*")).map((h) => `https://${h.replace(/^\./, "")}`),
    alarmEmail: raw.alarmEmail,
    adminAllowCidrs: raw.adminAllowCidrs ?? [],
    database: { ...p.database, ...raw.database },
    // The profiles' engine version is Valkey's; Redis OSS stops at 7.1, so switching engine alone must not
    // leave a version the engine does not have.
    cache: { ...p.cache, ...(raw.cache?.engine === "redis" ? { engineVersion: REDIS_DEFAULT_VERSION } : {}), ...raw.cache },
    app: { ...p.app, ...raw.app },
    web: { ...p.web, ...raw.web, image, canaryImage: raw.web?.canaryImage ?? image },
    worker: { ...p.worker, ...raw.worker },
    waf: { ...p.waf, ...raw.waf },
    logRetentionDays: raw.logRetentionDays ?? p.logRetentionDays,
    backup: { ...p.backup, ...raw.backup },
    thirdPartySecrets: raw.thirdPartySecrets ?? {},
    tags: { Project: identity.project, Stack: identity.stack, Environment: environment, ManagedBy: "pulumi" },
  };
}

type Rule = { key: string; value: unknown; bad: boolean; problem: string; fix: string };

function collect(ns: string, rules: Rule[]): ConfigIssue[] {
  return rules.filter((r) => r.bad).map(({ key, value, problem, fix }) => ({ key: `${ns}:${key}`, value, problem, fix }));
}

/** Rules that hold in every environment. */
function crossFieldRules(c: PlatformConfig): ConfigIssue[] {
  const set = (key: string, example: string) => `pulumi config set --path ${key} ${example} -s ${c.stack}`;
  return collect(c.project, [
    { key: "web.image", value: c.web.image || undefined, bad: c.web.image === "", problem: "is required: the container image to run", fix: set("web.image", "<repo>@sha256:<digest>") },
    { key: "database.maxCapacity", value: c.database.maxCapacity, bad: c.database.maxCapacity < c.database.minCapacity, problem: `is below database.minCapacity (${c.database.minCapacity})`, fix: set("database.maxCapacity", String(c.database.minCapacity)) },
    { key: "web.maxCount", value: c.web.maxCount, bad: c.web.maxCount < c.web.desiredCount, problem: `is below web.desiredCount (${c.web.desiredCount})`, fix: set("web.maxCount", String(c.web.desiredCount)) },
    { key: "worker.maxCount", value: c.worker.maxCount, bad: c.worker.maxCount < c.worker.desiredCount, problem: `is below worker.desiredCount (${c.worker.desiredCount})`, fix: set("worker.maxCount", String(c.worker.desiredCount)) },
    { key: "web.memory", value: c.web.memory, bad: !fargateMemoryFits(c.web.cpu, c.web.memory), problem: `does not fit Fargate CPU ${c.web.cpu}`, fix: `${set("web.memory", "<MiB>")} with a size Fargate allows for ${c.web.cpu} CPU units (see docs/configuration.md)` },
    { key: "worker.memory", value: c.worker.memory, bad: !fargateMemoryFits(c.worker.cpu, c.worker.memory), problem: `does not fit Fargate CPU ${c.worker.cpu}`, fix: `${set("worker.memory", "<MiB>")} with a size Fargate allows for ${c.worker.cpu} CPU units (see docs/configuration.md)` },
    { key: "network.azCount", value: c.network.azCount, bad: c.network.natGateways === "one-per-az" && c.network.azCount < 2, problem: "NAT per AZ needs 2 or more AZs", fix: set("network.azCount", "2") },
    // Production reports it among its required keys; elsewhere it is still needed: the ALB serves HTTPS only.
    { key: "domain.certificateArn", value: c.domain.certificateArn || undefined, bad: c.environment !== "production" && !c.domain.certificateArn, problem: "is required: the load balancer serves HTTPS only", fix: set("domain.certificateArn", "arn:aws:acm:<region>:<account>:certificate/<id>") },
  ]);
}

/** Fargate's valid CPU/memory pairs (MiB). */
function fargateMemoryFits(cpu: number, memory: number): boolean {
  const ranges: Record<number, [number, number, number]> = {
    256: [512, 2048, 512], 512: [1024, 4096, 1024], 1024: [2048, 8192, 1024], 2048: [4096, 16384, 1024],
    4096: [8192, 30720, 1024], 8192: [16384, 61440, 4096], 16384: [32768, 122880, 8192],
  };
  const range = ranges[cpu];
  if (!range) return false;
  const [min, max, step] = range;
  return (memory >= min && memory <= max && memory % step === 0) || (cpu === 256 && memory === 512);
}

/** What production refuses, each with the reason, so an override can never quietly weaken it. */
function productionRules(c: PlatformConfig): ConfigIssue[] {
  const set = (key: string, example: string) => `pulumi config set --path ${key} ${example} -s ${c.stack}`;
  const required = (key: string, value: unknown, what: string, example: string, item = ""): Rule => ({
    key, value, bad: value === undefined,
    problem: `is required in production: ${what}`, fix: set(`'${key}${item}'`, example),
  });
  const wildcardHosts = c.allowedHosts.filter((h) => h === "*" || h.startsWith("*"));
  const badOrigins = c.corsOrigins.filter((o) => o === "*" || !o.startsWith("https://"));
  const badCsrf = c.csrfTrustedOrigins.filter((o) => o === "*" || !o.startsWith("https://"));
  const devModule = /(^|\.)(local|dev|development|test|tests|testing)$/i;
  return collect(c.project, [
    required("domain.name", c.domain.name, "the public name of the site", "app.example.com"),
    required("domain.certificateArn", c.domain.certificateArn || undefined, "the ACM certificate for HTTPS", "arn:aws:acm:<region>:<account>:certificate/<id>"),
    required("allowedHosts", c.allowedHosts.length ? c.allowedHosts : undefined, "Django's ALLOWED_HOSTS", "app.example.com", "[0]"),
    required("corsOrigins", c.corsOrigins.length ? c.corsOrigins : undefined, "the origins allowed to call the API", "https://app.example.com", "[0]"),
    required("alarmEmail", c.alarmEmail, "where alarms are sent", "oncall@example.com"),
    required("adminAllowCidrs", c.adminAllowCidrs.length ? c.adminAllowCidrs : undefined, "who may reach /admin", "203.0.113.0/24", "[0]"),
    { key: "allowedHosts", value: c.allowedHosts, bad: wildcardHosts.length > 0, problem: `contains a wildcard (${wildcardHosts.join(", ")}), which disables Django's Host header check`, fix: `list the exact host names the site answers to: ${set("'allowedHosts[0]'", "app.example.com")}` },
    { key: "corsOrigins", value: c.corsOrigins, bad: badOrigins.length > 0, problem: `contains ${badOrigins.join(", ")}: production allows only explicit https:// origins`, fix: `list each https:// origin that may call the API, never *: ${set("'corsOrigins[0]'", "https://app.example.com")}` },
    { key: "csrfTrustedOrigins", value: c.csrfTrustedOrigins, bad: badCsrf.length > 0, problem: `contains ${badCsrf.join(", ")}: production trusts only explicit https:// origins`, fix: `list each https:// origin, never *: ${set("'csrfTrustedOrigins[0]'", "https://app.example.com")}` },
    { key: "network.azCount", value: c.network.azCount, bad: c.network.azCount < 3, problem: "production spreads over 3 AZs so that losing one leaves two serving", fix: set("network.azCount", "3") },
    { key: "network.natGateways", value: c.network.natGateways, bad: c.network.natGateways !== "one-per-az", problem: "a single NAT gateway cuts every private subnet off the internet when its AZ fails", fix: set("network.natGateways", "one-per-az") },
    { key: "database.instances", value: c.database.instances, bad: c.database.instances < 2, problem: "production needs a writer and a reader in different AZs for failover", fix: set("database.instances", "2") },
    { key: "database.backupRetentionDays", value: c.database.backupRetentionDays, bad: c.database.backupRetentionDays < MIN_BACKUP_DAYS.production, problem: `production keeps at least ${MIN_BACKUP_DAYS.production} days of point-in-time recovery`, fix: set("database.backupRetentionDays", String(MIN_BACKUP_DAYS.production)) },
    { key: "database.deletionProtection", value: c.database.deletionProtection, bad: !c.database.deletionProtection, problem: "production's database must not be deletable by a stray `pulumi destroy`", fix: set("database.deletionProtection", "true") },
    { key: "backup.enabled", value: c.backup.enabled, bad: !c.backup.enabled, problem: "production's database and media need AWS Backup copies beyond point-in-time recovery", fix: set("backup.enabled", "true") },
    { key: "cache.replicas", value: c.cache.replicas, bad: c.cache.replicas < 1, problem: "multi-AZ automatic failover needs at least one replica", fix: set("cache.replicas", "1") },
    { key: "web.desiredCount", value: c.web.desiredCount, bad: c.web.desiredCount < 2, problem: "one task is a single point of failure", fix: set("web.desiredCount", "2") },
    { key: "app.debug", value: c.app.debug, bad: c.app.debug, problem: "DEBUG leaks stack traces and settings to anyone who triggers an error", fix: set("app.debug", "false") },
    { key: "app.settingsModule", value: c.app.settingsModule, bad: devModule.test(c.app.settingsModule), problem: "is a local/dev/test settings module", fix: set("app.settingsModule", "app.settings.production") },
    { key: "app.rateLimitEnabled", value: c.app.rateLimitEnabled, bad: !c.app.rateLimitEnabled, problem: "rate limiting protects logins and the API from brute force", fix: set("app.rateLimitEnabled", "true") },
    { key: "web.image", value: c.web.image, bad: c.web.image !== "" && !IMAGE_DIGEST.test(c.web.image), problem: "a mutable tag can change under a running service; production pins images by digest", fix: set("web.image", "<repo>@sha256:<digest>") },
    { key: "web.canaryImage", value: c.web.canaryImage, bad: c.web.canaryImage !== "" && !IMAGE_DIGEST.test(c.web.canaryImage), problem: "a mutable tag can change under a running service; production pins images by digest", fix: set("web.canaryImage", "<repo>@sha256:<digest>") },
  ]);
}

function fromZod(ns: string, stack: string, raw: Record<string, unknown>, issue: z.core.$ZodIssue): ConfigIssue[] {
  const segments = issue.path.map(String);
  if (issue.code === "unrecognized_keys") {
    const known = knownKeysAt(segments);
    return issue.keys.map((unknownKey) => {
      const key = [...segments, unknownKey].join(".");
      const near = suggestion(unknownKey, known);
      const nearKey = near === undefined ? undefined : [...segments, near].join(".");
      return {
        key: `${ns}:${key}`,
        value: valueAt(raw, [...segments, unknownKey]),
        problem: `is not a setting this program knows${near ? `: \`${unknownKey}\`: did you mean \`${near}\`?` : ` (known here: ${known.join(", ")})`}`,
        fix: nearKey
          ? `rename it: pulumi config rm --path '${key}' -s ${stack}, then pulumi config set --path '${nearKey}' <value> -s ${stack}`
          : `remove it (pulumi config rm --path '${key}' -s ${stack}); docs/configuration.md lists the keys`,
      };
    });
  }
  const key = segments.join(".");
  const secret = segments[0] !== undefined && (SECRET_KEYS as readonly string[]).includes(segments[0]);
  return [{
    key: `${ns}:${key}`,
    value: secret ? SECRET_SHOWN : valueAt(raw, segments),
    // A record key's own message (e.g. "must be UPPER_SNAKE_CASE") sits one level down in zod 4.
    problem: issue.code === "invalid_key" ? issue.issues.map((i) => i.message).join("; ") : issue.message,
    fix: issue.code === "invalid_key"
      ? `rename it: pulumi config rm --path '${key}' -s ${stack}, then set the UPPER_SNAKE_CASE name${secret ? " with --secret" : ""}`
      : `correct it with pulumi config set${secret ? " --secret" : ""} --path '${key}' <value> -s ${stack} (see docs/configuration.md)`,
  }];
}

/** The keys the schema allows at `path` (the top level, or inside an object such as `database`). */
function knownKeysAt(path: readonly string[]): string[] {
  let schema: z.ZodType = rawConfigSchema;
  for (const segment of path) {
    const shape = objectShape(schema);
    if (shape?.[segment] === undefined) return [];
    schema = shape[segment];
  }
  return Object.keys(objectShape(schema) ?? {});
}

function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const inner = schema instanceof ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
  return inner instanceof ZodObject ? (inner.shape as Record<string, z.ZodType>) : undefined;
}

function valueAt(raw: Record<string, unknown>, path: readonly string[]): unknown {
  return path.reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), raw);
}

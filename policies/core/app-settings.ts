import { isUnknownValueError, items, text, type Props } from "./inputs.ts";

/** Why the rules that read a task definition's containers cannot judge the first preview of a new stack (docs/policies.md). */
export const CONTAINER_DEFINITIONS_IN_PREVIEW = "`containerDefinitions` is one JSON string: when it names another resource's output (a secret's ARN, " +
  "a log group's name) the whole string is unknown in the first preview of a new stack, so the rule reports an advisory " +
  "\"can't run ... during preview\" for the task definition there. `pulumi up`, every later preview and the offline gate judge it.";

/** One container's plain environment (name -> literal value) and the names it takes from secrets. */
export interface ContainerEnv {
  readonly container: string;
  /** How findings name it: `container "web"`, or `function` for a Lambda function. */
  readonly label: string;
  readonly image: string;
  readonly environment: ReadonlyMap<string, string>;
  /** Variables set from Secrets Manager or SSM Parameter Store (`secrets: [{ name, valueFrom }]`). */
  readonly secretNames: ReadonlySet<string>;
}

/** ECS `containerDefinitions` is a JSON string in the provider's inputs; a malformed one yields no containers. */
export function taskContainers(props: Props): ContainerEnv[] {
  const raw: unknown = props.containerDefinitions;
  let parsed: unknown;
  try {
    parsed = typeof raw === "string" ? JSON.parse(raw) : raw;
  } catch {
    return [];
  }
  return items(parsed).map((c, i) => ({
    container: text(c.name) || `container ${i}`,
    label: `container "${text(c.name) || `container ${i}`}"`,
    image: text(c.image),
    environment: new Map(items(c.environment).filter((e) => typeof e.name === "string").map((e) => [e.name as string, scalar(e.value)])),
    secretNames: new Set(items(c.secrets).map((e) => text(e.name)).filter((n) => n !== "")),
  }));
}

/** The app environments of a resource: each container of a task definition, or a Lambda function's variables. */
export function appEnvironments(props: Props, type: string): ContainerEnv[] {
  if (type !== "aws:lambda/function:Function") return taskContainers(props);
  return [{ container: "function", label: "function", image: "", environment: lambdaEnvironment(props), secretNames: new Set() }];
}

/**
 * A Lambda function's environment. A value computed from another resource's output (unknown in a preview of
 * a new stack) is no literal setting, so it reads as empty instead of stopping the rule.
 */
export function lambdaEnvironment(props: Props): ReadonlyMap<string, string> {
  const vars: unknown = props.environment?.variables;
  if (vars === null || typeof vars !== "object") return new Map();
  return new Map(Object.keys(vars).map((k) => [k, knownScalar(() => (vars as Record<string, unknown>)[k])]));
}

function knownScalar(read: () => unknown): string {
  try {
    return scalar(read());
  } catch (err) {
    if (isUnknownValueError(err)) return "";
    throw err;
  }
}

/** An environment value as the container sees it; structured values are not settings the rules read. */
function scalar(value: unknown): string {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? String(value) : "";
}

const SECRET_WORDS = new Set(["SECRET", "KEY", "TOKEN", "PASSWORD", "PASSWD", "PASS", "DSN", "CREDENTIALS", "APIKEY"]);
const SECRET_NAMES = new Set(["DATABASE_URL", "REDIS_URL", "CACHE_URL", "BROKER_URL", "CELERY_BROKER_URL"]);
/** Names that contain a secret word but hold no secret (ids of secrets, key names, SSM parameter names, secret files, ...). */
const NOT_SECRET_SUFFIXES = ["_ARN", "_ID", "_NAME", "_PATH", "_PREFIX", "_HEADER", "_PARAMETER", "_PARAM", "_FILE"];

/** `STRIPE_SECRET_KEY`, `SENTRY_DSN`, `DATABASE_URL`, `masterPassword`, ... but not `AWS_S3_KEY_PREFIX` or `kmsKeyId`. */
export function looksLikeSecretName(name: string): boolean {
  const upper = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
  if (SECRET_NAMES.has(upper)) return true;
  if (NOT_SECRET_SUFFIXES.some((s) => upper.endsWith(s))) return false;
  return upper.split(/[^A-Z0-9]+/).some((word) => SECRET_WORDS.has(word));
}

/** `postgres://user:password@host/db`, `redis://:password@host:6379/0`: a connection URL that carries its password. */
export function urlEmbedsPassword(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:[^/@\s]+@/i.test(value.trim());
}

/** A value that names where a secret lives (Secrets Manager, SSM Parameter Store) instead of holding it. */
export function isSecretReference(value: string): boolean {
  return /^(arn:aws[a-z-]*:(secretsmanager|ssm):|\{\{resolve:(secretsmanager|ssm-secure):)/.test(value.trim());
}

/**
 * Why a plain environment variable holds a secret, or undefined. Connection URLs (`DATABASE_URL`, `REDIS_URL`)
 * are secrets only when they embed a password (IAM-authenticated databases and password-less caches have none);
 * a URL with a password is a secret under any name; other secret-looking names are secrets unless the value is a
 * reference to Secrets Manager or Parameter Store.
 */
export function literalSecretProblem(name: string, value: string): string | undefined {
  if (value.trim() === "" || isSecretReference(value)) return undefined;
  if (urlEmbedsPassword(value)) return `sets ${name} to a URL with an embedded password`;
  const upper = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
  if (upper.endsWith("_URL") || upper.endsWith("_URI") || SECRET_NAMES.has(upper)) return undefined;
  return looksLikeSecretName(name) ? `sets ${name} to a literal value` : undefined;
}

/** The names Django project templates and settings libraries use for one setting (cookiecutter-django, django-environ). */
export const DJANGO_SETTING = {
  debug: ["DEBUG", "DJANGO_DEBUG"],
  allowedHosts: ["ALLOWED_HOSTS", "DJANGO_ALLOWED_HOSTS"],
} as const;

/** The first of `names` the container sets. */
export function settingOf(c: ContainerEnv, names: readonly string[]): { name: string; value: string } | undefined {
  const name = names.find((n) => c.environment.has(n));
  return name === undefined ? undefined : { name, value: c.environment.get(name)! };
}

export function isTruthySetting(value: string | undefined): boolean {
  return value !== undefined && ["true", "1", "yes", "on"].includes(value.trim().toLowerCase());
}

export function isFalsySetting(value: string | undefined): boolean {
  return value !== undefined && ["false", "0", "no", "off"].includes(value.trim().toLowerCase());
}

export function listSetting(value: string | undefined): string[] {
  return (value ?? "").split(/[\s,]+/).filter((v) => v.length > 0);
}

/**
 * The Django settings module names (`config.settings.local`) and django-configurations classes (`Dev`) that mean
 * a developer's machine, not a deployed environment.
 */
export function isLocalSettingsModule(module: string): boolean {
  const last = module.split(".").pop()?.toLowerCase() ?? "";
  return ["local", "dev", "development", "test", "tests", "testing", "debug"].includes(last);
}

const DJANGO_MARKERS = ["DJANGO_SETTINGS_MODULE", "DJANGO_CONFIGURATION", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DJANGO_DEBUG"];

/** A Django container: the rules about Django settings only apply to containers that run Django. */
export function isDjangoContainer(c: ContainerEnv): boolean {
  return DJANGO_MARKERS.some((n) => c.environment.has(n) || c.secretNames.has(n));
}

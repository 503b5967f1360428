import { isUnknownValueError, items, text, type Props } from "./rule.ts";

/** One container's plain environment (name -> literal value) and the names it takes from secrets. */
export interface ContainerEnv {
  readonly container: string;
  readonly image: string;
  readonly environment: ReadonlyMap<string, string>;
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
    image: text(c.image),
    environment: new Map(items(c.environment).filter((e) => typeof e.name === "string").map((e) => [e.name as string, scalar(e.value)])),
  }));
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
/** Names that contain a secret word but hold no secret (ids of secrets, key names, ...). */
const NOT_SECRET_SUFFIXES = ["_ARN", "_ID", "_NAME", "_PATH", "_PREFIX", "_HEADER"];

/** `STRIPE_SECRET_KEY`, `SENTRY_DSN`, `DATABASE_URL`, `masterPassword`, ... but not `AWS_S3_KEY_PREFIX` or `kmsKeyId`. */
export function looksLikeSecretName(name: string): boolean {
  const upper = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
  if (SECRET_NAMES.has(upper)) return true;
  if (NOT_SECRET_SUFFIXES.some((s) => upper.endsWith(s))) return false;
  return upper.split(/[^A-Z0-9]+/).some((word) => SECRET_WORDS.has(word));
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

/** The Django settings module names that mean a developer's machine, not a deployed environment. */
export function isLocalSettingsModule(module: string): boolean {
  const last = module.split(".").pop()?.toLowerCase() ?? "";
  return ["local", "dev", "development", "test", "tests", "debug"].includes(last);
}

/** A Django container: the rules about Django settings only apply to containers that run Django. */
export function isDjangoContainer(c: ContainerEnv): boolean {
  return c.environment.has("DJANGO_SETTINGS_MODULE");
}

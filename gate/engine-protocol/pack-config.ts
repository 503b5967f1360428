import type { EnforcementLevel, PolicyConfigSchema } from "@pulumi/policy";

/**
 * What the Pulumi engine does with `--policy-pack-config` before it calls the pack's Configure
 * (pulumi/pulumi `pkg/resource/analyzer/config.go`, 2026-08): an entry is a level string or an object whose
 * `enforcementLevel` is taken out; `all` applies first, then each policy's own entry (shallow); the schema's
 * top-level defaults fill what is missing; each policy's config is validated against
 * `{type: object, properties, required}` plus `enforcementLevel`; an entry for a policy the pack does not have
 * is an error. The gate and the engine-protocol test both use this, so the gate rejects what the engine rejects.
 */

export const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "remediate", "disabled"] as const;

/** A policy as the engine knows it from GetAnalyzerInfo (a readiness rule object satisfies this too). */
export interface PolicyInfoLike {
  readonly name: string;
  readonly enforcementLevel?: EnforcementLevel;
  readonly configSchema?: PolicyConfigSchema;
}

/** One policy's config after reconciliation: what the engine sends in ConfigureAnalyzerRequest. */
export interface ReconciledPolicyConfig {
  readonly enforcementLevel: EnforcementLevel;
  readonly properties: Record<string, unknown>;
}

export class EnginePackConfigError extends Error {
  override readonly name = "EnginePackConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`validating policy config: ${problems.join("; ")}`);
  }
}

/** An entry is a level string or an object; either way its level is validated with the other properties. */
function entryOf(name: string, raw: unknown, problems: string[]): Record<string, unknown> {
  if (raw === undefined) return {};
  if (typeof raw === "string") return { enforcementLevel: raw };
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) return raw as Record<string, unknown>;
  problems.push(`${name}: Invalid type. Expected: string (an enforcement level) or object, given: ${jsonType(raw)}`);
  return {};
}

/**
 * Reconciles and validates a pack config the way the engine does; throws EnginePackConfigError naming every
 * problem (policy, field, value) at once. `packLevel` is the pack's own default (advisory unless the pack sets one).
 */
export function reconcilePackConfig(
  policies: readonly PolicyInfoLike[], raw: Record<string, unknown>, packLevel: EnforcementLevel = "advisory",
): Map<string, ReconciledPolicyConfig> {
  const problems: string[] = [];
  const known = new Set(policies.map((p) => p.name));
  for (const name of Object.keys(raw)) {
    if (name !== "all" && !known.has(name)) problems.push(`${name}: no policy of this name in the pack (policies: ${[...known].join(", ")})`);
  }
  const all = entryOf("all", raw.all, problems);
  const result = new Map<string, ReconciledPolicyConfig>();
  for (const policy of policies) {
    const merged = mergePolicyEntry(policy, all, entryOf(policy.name, raw[policy.name], problems));
    problems.push(...validateAgainst(policy, merged).map((p) => `${policy.name}: ${p}`));
    result.set(policy.name, reconciledEntry(policy, merged, packLevel));
  }
  if (problems.length > 0) throw new EnginePackConfigError(problems);
  return result;
}

/**
 * One policy's entry as the engine merges it: `all`'s, then the policy's own (shallow), then the schema's
 * top-level defaults where nothing is set. `enforcementLevel` stays in (validation sees it); the gate's
 * harness (policy-harness.ts) merges its pack config with this too.
 */
export function mergePolicyEntry(
  policy: PolicyInfoLike, all: Readonly<Record<string, unknown>> | undefined, own: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...all, ...own };
  for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
    if (merged[key] === undefined && typeof schema === "object" && schema.default !== undefined) merged[key] = structuredClone(schema.default);
  }
  return merged;
}

/** What the engine sends for a merged entry: its level (else the policy's own, else the pack's) and the other properties. */
export function reconciledEntry(policy: PolicyInfoLike, merged: Readonly<Record<string, unknown>>, packLevel: EnforcementLevel): ReconciledPolicyConfig {
  const { enforcementLevel, ...properties } = merged;
  return { enforcementLevel: (enforcementLevel as EnforcementLevel | undefined) ?? policy.enforcementLevel ?? packLevel, properties };
}

// The JSON Schema keywords the engine's validator (gojsonschema) applies that policy schemas here may use.
// Anything else in a schema is refused rather than silently ignored.
const SUPPORTED = new Set(["type", "enum", "default", "description", "properties", "required", "additionalProperties", "items", "minLength", "maxLength", "minimum", "maximum"]);

interface Schema {
  readonly type?: string | readonly string[];
  readonly enum?: readonly unknown[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | Schema;
  readonly items?: Schema;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
}

function validateAgainst(policy: PolicyInfoLike, config: Record<string, unknown>): string[] {
  const schema: Schema = {
    type: "object",
    properties: { ...(policy.configSchema?.properties as Record<string, Schema> | undefined), enforcementLevel: { type: "string", enum: ENFORCEMENT_LEVELS } },
    required: policy.configSchema?.required,
  };
  return validate(schema, config, "");
}

/** Messages in gojsonschema's words (`foo: Invalid type. Expected: string, given: integer`), as the CLI prints them. */
function validate(schema: Schema, value: unknown, at: string): string[] {
  const unsupported = Object.keys(schema).filter((k) => !SUPPORTED.has(k));
  if (unsupported.length > 0) return [`${at || "(root)"}: schema keyword(s) ${unsupported.join(", ")} are not supported by the gate's validator`];
  const field = at || "(root)";
  const label = at.split(".").pop() || "(root)";
  const given = jsonType(value);
  if (schema.type !== undefined) {
    const types = typeof schema.type === "string" ? [schema.type] : schema.type;
    const matches = types.some((t) => t === given || (t === "number" && given === "integer"));
    if (!matches) return [`${field}: Invalid type. Expected: ${types.join(", ")}, given: ${given}`];
  }
  const problems: string[] = [];
  if (schema.enum !== undefined && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    problems.push(`${field}: ${label} must be one of the following: ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`);
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength) problems.push(`${field}: String length must be greater than or equal to ${schema.minLength}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) problems.push(`${field}: String length must be less than or equal to ${schema.maxLength}`);
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${field}: Must be greater than or equal to ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${field}: Must be less than or equal to ${schema.maximum}`);
  }
  if (given === "array" && schema.items !== undefined) {
    (value as unknown[]).forEach((item, i) => problems.push(...validate(schema.items!, item, join(at, String(i)))));
  }
  if (given === "object") {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (object[key] === undefined) problems.push(`${join(at, key)} is required`);
    for (const [key, item] of Object.entries(object)) {
      const own = schema.properties?.[key];
      if (own !== undefined) problems.push(...validate(own, item, join(at, key)));
      else if (schema.additionalProperties === false) problems.push(`${field}: Additional property ${key} is not allowed`);
      else if (typeof schema.additionalProperties === "object") problems.push(...validate(schema.additionalProperties, item, join(at, key)));
    }
  }
  return problems;
}

function join(at: string, key: string): string {
  return at ? `${at}.${key}` : key;
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

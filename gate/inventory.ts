import { looksLikeSecretName } from "../policies/core/app-settings.ts";
import type { RegisteredResource } from "./program-runner.ts";
import { unknownValue } from "./secret-values.ts";

export const REDACTED = "[secret]";

/** A copy of `inputs` with every secret path replaced, so a report never carries a secret value. */
export function redactSecrets(inputs: Record<string, unknown>, secretPaths: readonly string[]): Record<string, unknown> {
  if (secretPaths.includes("$")) return { redacted: REDACTED };
  const copy = structuredClone(inputs);
  for (const dotted of secretPaths) {
    const keys = dotted.split(".");
    let at: unknown = copy;
    for (const key of keys.slice(0, -1)) at = at !== null && typeof at === "object" ? (at as Record<string, unknown>)[key] : undefined;
    if (at !== null && typeof at === "object") (at as Record<string, unknown>)[keys[keys.length - 1]] = REDACTED;
  }
  return copy;
}

/**
 * Also hides literal values under secret-looking names (`masterPassword`, `{ name: "SECRET_KEY", value }`,
 * including inside JSON strings such as `containerDefinitions`): a program that leaks a secret into plain
 * inputs is exactly what the gate reports, and the report must not leak it a second time.
 */
export function redactSecretLooking(value: unknown, key = ""): unknown {
  if (typeof value === "string") {
    if (key !== "" && looksLikeSecretName(key)) return REDACTED;
    if (!/^\s*[[{]/.test(value)) return value;
    try {
      return JSON.stringify(redactSecretLooking(JSON.parse(value)));
    } catch {
      return value;
    }
  }
  if (Array.isArray(value)) return value.map((v) => redactSecretLooking(v));
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  const namedSecret = typeof record.name === "string" && looksLikeSecretName(record.name) && typeof record.value === "string";
  return Object.fromEntries(Object.entries(record).map(([k, v]) => {
    // Tag keys name rules (`readiness:exempt:secret-uses-kms-key`), not secrets.
    if (key === "tags") return [k, v];
    if (namedSecret && k === "value") return [k, REDACTED];
    return [k, redactSecretLooking(v, k)];
  }));
}

export interface InventoryEntry {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly parent?: string;
  readonly dependencies: readonly string[];
  readonly inputs: Record<string, unknown>;
}

/** How a report shows a value the engine would not know until the update (the engine's sentinel is an opaque UUID). */
export const UNKNOWN_DISPLAY = "[unknown until the update]";

function showUnknowns(value: unknown): unknown {
  if (value === unknownValue) return UNKNOWN_DISPLAY;
  if (Array.isArray(value)) return value.map(showUnknowns);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, showUnknowns(v)]));
}

export function inventoryOf(resources: readonly RegisteredResource[]): InventoryEntry[] {
  return resources.map((r) => ({
    urn: r.urn, type: r.type, name: r.name, parent: r.parent, dependencies: r.dependencies,
    inputs: showUnknowns(redactSecretLooking(redactSecrets(r.inputs, r.secretPaths))) as Record<string, unknown>,
  }));
}

// How rules read resource inputs: defensively, and without giving up on values unknown during a preview.

/** Resource inputs as the policy host hands them over: plain JSON, possibly behind the unknown-checking proxy. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Props = Record<string, any>;

/** Inputs are whatever the program passed: read them defensively, a rule must never throw on a shape. */
export function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/**
 * Whether an input is set. During a preview of a new stack an input computed from another resource's output
 * (a KMS key's ARN, a bucket's name) is unknown: it is set, just not known yet, so it does not make the rule
 * give up ("can't run during preview").
 */
export function isSet(read: () => unknown): boolean {
  try {
    const value = read();
    return value !== undefined && value !== null && value !== "";
  } catch (err) {
    if (isUnknownValueError(err)) return true;
    throw err;
  }
}

/**
 * The host's "value unknown during preview" error. Matched by name, not `instanceof`: the gate runs these rules
 * with the root's @pulumi/policy while they may resolve policies/node_modules' copy (same version, other class).
 */
export function isUnknownValueError(err: unknown): boolean {
  return err instanceof Error && err.constructor.name === "UnknownValueError";
}

/** A number input (providers accept numeric strings too); NaN for anything else. */
export function num(value: unknown): number {
  return typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
}

export function items(value: unknown): Props[] {
  return Array.isArray(value) ? value.filter((v) => v !== null && typeof v === "object") : [];
}

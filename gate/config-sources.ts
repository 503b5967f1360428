import type { StackConfig } from "./stack-config.ts";

/** Values too short or too common to tie an input to one config key (`true`, `2`, `dev`). */
const MIN_VALUE_LENGTH = 5;

/**
 * The program's own config keys behind a finding: their value is in the resource's inputs and in the finding's
 * message (the offending value), so a fix can name the key the user actually sets (`insecure-example:image`),
 * not only this project's (`readiness:web.image`). Only the program's namespace counts, secrets never (their
 * value is a placeholder offline), and tags are skipped (they repeat names such as the stack everywhere).
 * The config is read once per run (the returned function), each resource's inputs once (by their object).
 */
export function configKeyFinder(config: StackConfig, project: string): (message: string, inputs: Record<string, unknown>) => string[] {
  const candidates = Object.entries(config.config)
    .filter(([key]) => key.startsWith(`${project}:`) && !config.secretKeys.includes(key))
    .map(([key, raw]) => ({ key, values: configLeaves(raw).filter((v) => v.length >= MIN_VALUE_LENGTH) }));
  const inputLeaves = new WeakMap<object, ReadonlySet<string>>();
  return (message, inputs) => {
    // JSON documents in inputs (ECS container definitions, IAM policies) carry values too.
    const leaves = inputLeaves.get(inputs) ?? new Set(leafValues(inputs, { skipTags: true, parseJson: true }));
    inputLeaves.set(inputs, leaves);
    return candidates.filter(({ values }) => values.some((v) => leaves.has(v) && message.includes(v))).map(({ key }) => key);
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A structured value arrives as JSON: each of its leaves can end up in an input on its own. */
function configLeaves(raw: string): string[] {
  const parsed = parseJson(raw);
  if (parsed === undefined || parsed === null || typeof parsed !== "object") return [raw];
  return leafValues(parsed, { skipTags: false, parseJson: false });
}

/**
 * Every string and number in a value, as strings. `skipTags` leaves out `tags`/`tagsAll` (at any depth);
 * `parseJson` reads a string that opens a JSON array or object as that document (nothing when it does not parse).
 */
function leafValues(value: unknown, options: { readonly skipTags: boolean; readonly parseJson: boolean }): string[] {
  const out: string[] = [];
  const walk = (value: unknown, key?: string): void => {
    if (options.skipTags && (key === "tags" || key === "tagsAll")) return;
    if (options.parseJson && typeof value === "string" && /^\s*[[{]/.test(value)) return walk(parseJson(value) ?? undefined);
    if (typeof value === "string" || typeof value === "number") out.push(String(value));
    else if (Array.isArray(value)) value.forEach((item) => walk(item));
    else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(value);
  return out;
}

/** The sentence a remediation gets: which of the program's keys to change, with the stack. */
export function configHint(keys: readonly string[], stack: string): string | undefined {
  if (keys.length === 0) return undefined;
  const commands = keys.map((key) => `pulumi config set ${key.includes(".") || key.includes("[") ? `--path '${key}'` : key} <value> -s ${stack}`);
  return `In this program the value comes from config ${keys.map((k) => `\`${k}\``).join(", ")}: ${commands.join("; ")}`;
}

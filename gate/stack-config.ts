import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";
import { resolveProgramEntry, type ModuleKind } from "./program-entry.ts";

/** What a Pulumi project file says about where its program is. */
export interface ProjectFile {
  readonly name: string;
  /** Absolute path of the program's entry module. */
  readonly entry: string;
  /** How the language host loads the entry (`require` or `import()`). */
  readonly kind: ModuleKind;
  /** Project-level config (`config:` in Pulumi.yaml): defaults every stack gets, and keys a stack must set. */
  readonly config: ProjectConfig;
}

export interface ProjectConfig {
  /** Namespaced keys with the value the project gives them (`default` or `value`), as the runtime sees them. */
  readonly defaults: Record<string, string>;
  /** Namespaced keys the project declares without a value: every stack must set them. */
  readonly required: readonly string[];
}

/** A stack's configuration as the Pulumi runtime sees it: flat `<namespace>:<key>` strings. */
export interface StackConfig {
  readonly config: Record<string, string>;
  /** Keys whose value is a secret (`pulumi config set --secret`), namespaced like `config`. */
  readonly secretKeys: string[];
}

/**
 * Stands in for a `secure:` value: offline there is no passphrase or KMS key to decrypt it, and the
 * gate must never hold the plaintext anyway. Programs see a well-formed string marked secret.
 */
export const SECRET_PLACEHOLDER = "offline-secret-placeholder";

export class StackFileError extends Error {
  override readonly name = "StackFileError";
}

export async function readProjectFile(dir: string): Promise<ProjectFile> {
  const file = path.join(dir, "Pulumi.yaml");
  const doc = await readYaml(file);
  if (typeof doc?.name !== "string") {
    throw new StackFileError(`${file}: "name" is missing; a Pulumi project file needs name and runtime`);
  }
  const entry = await resolveProgramEntry(dir, typeof doc.main === "string" ? doc.main : undefined);
  return { name: doc.name, entry: entry.file, kind: entry.kind, config: projectConfig(doc.config, doc.name) };
}

/** The keys of a config type declaration in Pulumi.yaml (anything else is a value given in shorthand). */
const DECLARATION_KEYS = new Set(["type", "description", "default", "value", "secret", "items"]);

function projectConfig(raw: unknown, project: string): ProjectConfig {
  const defaults: Record<string, string> = {};
  const required: string[] = [];
  for (const [rawKey, decl] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
    const declared = decl !== null && typeof decl === "object" && !Array.isArray(decl) && Object.keys(decl).every((k) => DECLARATION_KEYS.has(k));
    const value = declared ? (decl as { value?: unknown; default?: unknown }).value ?? (decl as { default?: unknown }).default : decl;
    if (value === undefined || value === null) required.push(key);
    else defaults[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { defaults, required };
}

/** The stack's config over the project's defaults; a key the project requires and the stack does not set is an error, as in the CLI. */
export function withProjectConfig(project: ProjectFile, stack: string, config: StackConfig): StackConfig {
  const missing = project.config.required.filter((key) => !(key in config.config));
  if (missing.length > 0) {
    throw new StackFileError(missing.map((key) => `stack ${stack} is missing configuration value ${key} (Pulumi.yaml declares it without a default); set it with pulumi config set ${key.replace(`${project.name}:`, "")} <value>`).join("\n"));
  }
  return { config: { ...project.config.defaults, ...config.config }, secretKeys: config.secretKeys };
}

/** Reads `Pulumi.<stack>.yaml` the way the CLI hands it to a program (structured values as JSON). */
export async function readStackConfig(dir: string, stack: string, project: string): Promise<StackConfig> {
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  const doc = await readYaml(file);
  const entries = Object.entries((doc?.config ?? {}) as Record<string, unknown>);
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [rawKey, rawValue] of entries) {
    const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
    const { value, secret } = replaceSecure(rawValue);
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
    if (secret) secretKeys.push(key);
  }
  return { config, secretKeys };
}

function replaceSecure(value: unknown): { value: unknown; secret: boolean } {
  if (isSecure(value)) return { value: SECRET_PLACEHOLDER, secret: true };
  if (Array.isArray(value)) {
    const items = value.map(replaceSecure);
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (value !== null && typeof value === "object") {
    const fields = Object.entries(value).map(([k, v]) => [k, replaceSecure(v)] as const);
    return {
      value: Object.fromEntries(fields.map(([k, v]) => [k, v.value])),
      secret: fields.some(([, v]) => v.secret),
    };
  }
  return { value, secret: false };
}

function isSecure(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value) &&
    Object.keys(value).length === 1 && typeof (value as { secure?: unknown }).secure === "string";
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function readYaml(file: string): Promise<any> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new StackFileError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return parse(text);
  } catch (err) {
    throw new StackFileError(`${file} is not valid YAML: ${(err as Error).message}`);
  }
}

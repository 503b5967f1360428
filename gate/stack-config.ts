import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";

/** What a Pulumi project file says about where its program is. */
export interface ProjectFile {
  readonly name: string;
  /** Absolute path of the program's entry module. */
  readonly entry: string;
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
  const main = typeof doc.main === "string" ? doc.main : "index.ts";
  return { name: doc.name, entry: path.resolve(dir, main) };
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

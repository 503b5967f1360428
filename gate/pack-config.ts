import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { z } from "zod";
import { suggestion } from "../cli/suggest.ts";
import type { PackConfig } from "./policy-harness.ts";

/** `policies/config/` of this repository: the files `pulumi preview --policy-pack-config` takes. */
export const PACK_CONFIG_DIR = fileURLToPath(new URL("../policies/config/", import.meta.url));

const level = z.enum(["advisory", "mandatory", "remediate", "disabled"]);
const packConfigSchema = z.record(z.string(), z.union([level, z.looseObject({ enforcementLevel: level.optional() })]));

export class PackConfigError extends Error {
  override readonly name = "PackConfigError";
}

export function packConfigPath(environment: string, dir = PACK_CONFIG_DIR): string {
  return path.join(dir, `${environment}.json`);
}

/** Reads and validates one environment's pack config; every problem is named at once. */
export async function loadPackConfig(environment: string, knownPolicies: readonly string[], dir = PACK_CONFIG_DIR): Promise<PackConfig> {
  const file = packConfigPath(environment, dir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new PackConfigError(`no policy pack config for environment "${environment}": ${file} does not exist. Fix: pass --environment dev|staging|production or add that file`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PackConfigError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = packConfigSchema.safeParse(json);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  const names = new Set([...knownPolicies, "all"]);
  if (parsed.success) {
    problems.push(...Object.keys(parsed.data).filter((k) => !names.has(k)).map((k) => {
      const near = suggestion(k, knownPolicies);
      return `"${k}" is not a policy of this pack${near ? `; did you mean "${near}"?` : ` (known: ${knownPolicies.join(", ")})`}`;
    }));
  }
  if (problems.length > 0) throw new PackConfigError(`${file} has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  return parsed.data as PackConfig;
}

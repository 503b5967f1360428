import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { EnginePackConfigError, reconcilePackConfig, type PolicyInfoLike } from "./engine-protocol/pack-config.ts";
import { ENVIRONMENTS } from "../policies/shared/environments.ts";
import type { PackConfig } from "./policy-harness.ts";

/** `policies/config/` of this repository: the files `pulumi preview --policy-pack-config` takes. */
export const PACK_CONFIG_DIR = fileURLToPath(new URL("../policies/config", import.meta.url));

export class PackConfigError extends Error {
  override readonly name = "PackConfigError";
}

export function packConfigPath(environment: string, dir = PACK_CONFIG_DIR): string {
  return path.join(dir, `${environment}.json`);
}

/**
 * Reads one environment's pack config and validates it as the engine does before it configures the pack
 * (engine-protocol/pack-config.ts): a value of the wrong type or outside its enum, or an entry for a policy the
 * pack does not have, is an error naming the policy, the field and the value; every problem at once.
 */
export async function loadPackConfig(environment: string, policies: readonly PolicyInfoLike[], dir = PACK_CONFIG_DIR): Promise<PackConfig> {
  const file = packConfigPath(environment, dir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new PackConfigError(`no policy pack config for environment "${environment}": ${file} does not exist. Fix: pass --environment ${ENVIRONMENTS.join("|")} or add that file`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PackConfigError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw new PackConfigError(`${file} must hold a JSON object (policy name -> level or config)`);
  try {
    reconcilePackConfig(policies, json as Record<string, unknown>);
  } catch (err) {
    if (!(err instanceof EnginePackConfigError)) throw err;
    const problems = err.problems;
    throw new PackConfigError(`${file} would be rejected by the Pulumi engine ("validating policy config"): ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  return json as PackConfig;
}

import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { readinessRules } from "../policies/rules/catalog.ts";
import { ENVIRONMENTS, type Environment } from "../policies/rules/rule.ts";
import { loadPackConfig } from "../gate/pack-config.ts";
import { renderPolicyCatalog } from "../gate/policy-catalog.ts";
import type { PackConfig } from "../gate/policy-harness.ts";

const DOC = fileURLToPath(new URL("../docs/policies.md", import.meta.url));

const { check } = new Command()
  .name("policy-docs")
  .description("Generates docs/policies.md from the readiness rules' metadata and the per-environment pack config")
  .option("--check", "exit 1 when docs/policies.md is not what would be generated")
  .parse()
  .opts<{ check?: boolean }>();

const configs = Object.fromEntries(await Promise.all(ENVIRONMENTS.map(async (env) => [env, await loadPackConfig(env, readinessRules)] as const))) as Record<Environment, PackConfig>;
const expected = renderPolicyCatalog(readinessRules, configs);

if (check) {
  const current = await readFile(DOC, "utf8").catch(() => "");
  if (current !== expected) {
    process.stderr.write("docs/policies.md is stale: run `npm run docs:policies` and commit the result\n");
    process.exitCode = 1;
  } else {
    process.stdout.write("docs/policies.md is up to date\n");
  }
} else {
  await writeFile(DOC, expected);
  process.stdout.write(`wrote docs/policies.md (${readinessRules.length} rules)\n`);
}

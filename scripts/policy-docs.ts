import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { EXIT, parseOrExit } from "../cli/exit-codes.ts";
import { readinessRules } from "../policies/rules/catalog.ts";
import { ENVIRONMENTS, type Environment } from "../policies/shared/environments.ts";
import { loadPackConfig } from "../gate/pack-config.ts";
import { renderPolicyCatalog } from "../gate/policy-catalog.ts";
import type { PackConfig } from "../gate/policy-harness.ts";

// Exit codes (docs/cli.md): 0 written / up to date, 1 stale (--check), 2 bad input.
const program = new Command()
  .name("docs:policies")
  .description("Generates docs/policies.md from the readiness rules' metadata and the per-environment pack config")
  .option("--check", "exit 1 when the file is not what would be generated")
  .option("--doc <file>", "the catalog file to write or check", fileURLToPath(new URL("../docs/policies.md", import.meta.url)));
parseOrExit(program);
const { check, doc } = program.opts<{ check?: boolean; doc: string }>();
const DOC = path.relative(process.cwd(), doc) || doc;

const configs = Object.fromEntries(await Promise.all(ENVIRONMENTS.map(async (env) => [env, await loadPackConfig(env, readinessRules)] as const))) as Record<Environment, PackConfig>;
const expected = renderPolicyCatalog(readinessRules, configs);

if (check) {
  const current = await readFile(DOC, "utf8").catch(() => "");
  if (current !== expected) {
    process.stderr.write(`${DOC} is stale: run \`npm run docs:policies\` and commit the result\n`);
    process.exitCode = EXIT.failed;
  } else {
    process.stdout.write(`${DOC} is up to date\n`);
  }
} else {
  await writeFile(DOC, expected);
  process.stdout.write(`wrote ${DOC} (${readinessRules.length} rules)\n`);
}

import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { EXIT, parseOrExit } from "../cli/exit-codes.ts";
import { readinessRules } from "../policies/rules/catalog.ts";
import { packConfigs } from "../policies/shared/enforcement.ts";
import { ENVIRONMENTS } from "../policies/shared/environments.ts";
import { reconcilePackConfig } from "../gate/engine-protocol/pack-config.ts";
import { PACK_CONFIG_DIR, packConfigPath } from "../gate/pack-config.ts";
import { renderPolicyCatalog } from "../gate/policy-catalog.ts";

// Exit codes (docs/cli.md): 0 written / up to date, 1 stale (--check), 2 bad input.
const program = new Command()
  .name("docs:policies")
  .description("Generates policies/config/<env>.json from the enforcement table (policies/shared/enforcement.ts), and docs/policies.md from the rules' metadata and those configs")
  .option("--check", "exit 1 when a file is not what would be generated")
  .option("--doc <file>", "the catalog file to write or check", fileURLToPath(new URL("../docs/policies.md", import.meta.url)))
  .option("--config-dir <dir>", "the pack config directory to write or check", PACK_CONFIG_DIR);
parseOrExit(program);
const { check, doc, configDir } = program.opts<{ check?: boolean; doc: string; configDir: string }>();
const shown = (file: string) => path.relative(process.cwd(), file) || file;

const configs = packConfigs(readinessRules);
// What the engine would refuse is never written (it throws, naming every problem).
for (const env of ENVIRONMENTS) reconcilePackConfig(readinessRules, configs[env]);
const files = new Map<string, string>([
  ...ENVIRONMENTS.map((env) => [packConfigPath(env, configDir), `${JSON.stringify(configs[env], null, 2)}\n`] as const),
  [doc, renderPolicyCatalog(readinessRules, configs)],
]);

if (check) {
  const stale: string[] = [];
  for (const [file, text] of files) if ((await readFile(file, "utf8").catch(() => "")) !== text) stale.push(shown(file));
  if (stale.length > 0) {
    process.stderr.write(`${stale.join(", ")} ${stale.length === 1 ? "is" : "are"} stale: run \`npm run docs:policies\` and commit the result\n`);
    process.exitCode = EXIT.failed;
  } else {
    process.stdout.write(`${[...files.keys()].map(shown).join(", ")}: up to date\n`);
  }
} else {
  for (const [file, text] of files) await writeFile(file, text);
  process.stdout.write(`wrote ${[...files.keys()].map(shown).join(", ")} (${readinessRules.length} rules)\n`);
}

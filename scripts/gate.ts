import { rm, writeFile } from "node:fs/promises";
import { Command, Option } from "commander";
import { exitCodeFor } from "../gate/exit-code.ts";
import { FORMATS, type Format } from "../gate/formats.ts";
import { GateLoadError, runGate } from "../gate/run-gate.ts";

const program = new Command()
  .name("gate")
  .description("Offline readiness gate: runs a Pulumi program under mocks and checks every resource with the readiness policy pack")
  .requiredOption("--stack <stack>", "stack to check (reads Pulumi.<stack>.yaml)")
  .option("--dir <dir>", "directory of the Pulumi program (Pulumi.yaml); the program runs there, in its own process, as pulumi preview would run it", ".")
  .option("--environment <env>", "policy config to apply (policies/config/<env>.json); defaults to the stack name")
  .addOption(new Option("--format <format>", "report format").choices(Object.keys(FORMATS)).default("text"))
  .option("--out <file>", "write the report to this file instead of stdout")
  .showHelpAfterError();

program.parse();
const opts = program.opts<{ stack: string; dir: string; environment?: string; format: Format; out?: string }>();

try {
  const report = await runGate({ stack: opts.stack, dir: opts.dir, environment: opts.environment });
  const text = FORMATS[opts.format](report);
  if (opts.out) {
    await writeFile(opts.out, text);
    process.stderr.write(`readiness gate: ${report.summary.mandatory} mandatory, ${report.summary.advisory} advisory; ${opts.format} report written to ${opts.out}\n`);
  } else {
    process.stdout.write(text);
  }
  process.exitCode = exitCodeFor(report);
} catch (err) {
  // Exit 1 means "violations found"; anything that stopped the check itself must not look like that.
  const what = err instanceof GateLoadError ? "cannot load the program or its config" : "the gate itself failed";
  process.stderr.write(`readiness gate: ${what}, nothing was checked:\n${(err as Error).message}\n`);
  // A report left from an earlier run would pass for this run's result.
  if (opts.out) await rm(opts.out, { force: true });
  process.exitCode = 2;
}

import { rm, writeFile } from "node:fs/promises";
import { Command, Option } from "commander";
import { EXIT, parseOrExit } from "../cli/exit-codes.ts";
import { gateExitCode } from "../gate/exit-code.ts";
import { FORMATS, type Format } from "../gate/formats.ts";
import { checkOutputPath } from "../gate/output-path.ts";

const program = new Command()
  .name("gate")
  .description("Offline readiness gate: runs a Pulumi program under mocks and checks every resource with the readiness policy pack")
  .requiredOption("--stack <stack>", "stack to check (reads Pulumi.<stack>.yaml)")
  .option("--dir <dir>", "directory of the Pulumi program (Pulumi.yaml); the program runs there, in its own process, as pulumi preview would run it", ".")
  .option("--environment <env>", "policy config to apply (policies/config/<env>.json); defaults to the stack's environment (its environment config, else its name)")
  .addOption(new Option("--format <format>", "report format").choices(Object.keys(FORMATS)).default("text"))
  .option("--out <file>", "write the report to this file instead of stdout (written in every outcome, also when the config is invalid)")
  .option("--preview-new-stack", "judge what the engine sees in the first preview of a new stack (provider-computed outputs unknown)")
  .showHelpAfterError("(exit 2: bad input, nothing was checked; `npm run gate -- --help` lists the options)");

// Exit codes (docs/cli.md): 0 passed, 1 mandatory violations, 2 bad input or environment, nothing checked.
parseOrExit(program);
const opts = program.opts<{ stack: string; dir: string; environment?: string; format: Format; out?: string; previewNewStack?: boolean }>();

// The destination first: finding out after a minute of checking that the report cannot be written helps nobody.
const outProblem = opts.out === undefined ? undefined : await checkOutputPath(opts.out);
if (outProblem !== undefined) {
  process.stderr.write(`readiness gate: --out ${opts.out}: ${outProblem}; nothing was checked\n`);
  process.exit(EXIT.badInput);
}

// Loaded after the arguments are checked: a usage error answers at once, without loading Pulumi and the rules.
const { GateLoadError, runGate } = await import("../gate/run-gate.ts");
try {
  const report = await runGate({ stack: opts.stack, dir: opts.dir, environment: opts.environment, previewNewStack: opts.previewNewStack });
  const text = FORMATS[opts.format](report);
  if (opts.out) {
    await writeFile(opts.out, text);
    process.stderr.write(`readiness gate: ${report.summary.mandatory} mandatory, ${report.summary.advisory} advisory; ${opts.format} report written to ${opts.out}\n`);
  } else {
    process.stdout.write(text);
  }
  process.exitCode = gateExitCode(report);
} catch (err) {
  // Exit 1 means "violations found"; anything that stopped the check itself must not look like that.
  const what = err instanceof GateLoadError ? "cannot load the program or its config" : "the gate itself failed";
  process.stderr.write(`readiness gate: ${what}, no resource was checked:\n${(err as Error).message}\n`);
  if (opts.out && err instanceof GateLoadError && err.report) {
    // CI uploads this file whatever the exit code: the problem must show up where it looks (code scanning, test reports).
    await writeFile(opts.out, FORMATS[opts.format](err.report));
    process.stderr.write(`readiness gate: ${opts.format} report of these problems written to ${opts.out}\n`);
  } else if (opts.out) {
    // A report left from an earlier run would pass for this run's result.
    await rm(opts.out, { force: true });
  }
  process.exitCode = EXIT.badInput;
}

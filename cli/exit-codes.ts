import { CommanderError, type Command } from "commander";
import { suggestion } from "./suggest.ts";

/**
 * The exit-code contract every command of this project keeps (gate, rollout, demo, docs scripts), documented
 * once in docs/cli.md. A script that exits with anything else is a bug; test/cli-exit-codes.test.ts holds
 * every command to it.
 */
export const EXIT = {
  /** The check passed, the rollout was promoted, the command did what it was asked. */
  ok: 0,
  /** The check failed (a mandatory violation, a stale doc) or the rollout rolled back (or was aborted). */
  failed: 1,
  /** Bad input or environment: a usage error, invalid config, a missing tool. Nothing was changed. */
  badInput: 2,
  /** Paused: the command stopped safely and waits for a person (resume, promote or abort). */
  needsHuman: 3,
  /** Could not reach a safe state (a rollback not verified, a crash mid-way): see docs/runbook.md. */
  unsafe: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Input the command refuses before it changes anything: the message names the value and the fix. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * Parses argv with commander so that every usage error (unknown option or command, missing or invalid value)
 * exits 2 with a "did you mean" where one fits, and `unknown command` lists the commands; `--help` exits 0.
 * Returns only when the arguments are valid.
 */
export function parseOrExit(program: Command, argv: readonly string[] = process.argv.slice(2)): void {
  program.exitOverride().showSuggestionAfterError(true);
  try {
    // Commander reports a missing required option before an unknown one; `--stakc x` is a typo of `--stack`,
    // so the unknown option (with its suggestion) is what the user needs to hear first.
    const unknown = program.parseOptions([...argv]).unknown.find((arg) => arg.startsWith("-") && arg !== "--help" && arg !== "-h");
    if (unknown !== undefined) program.error(`error: ${unknownOptionProblem(unknown, program).replace(/^is/, `'${unknown}' is`)}`, { code: "commander.unknownOption", exitCode: EXIT.badInput });
    program.parse([...argv], { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    process.exit(usageExitCode(program, error, (text) => void process.stderr.write(text)));
  }
}

/** What a CommanderError means under the contract; prints the list of commands after `unknown command`. */
export function usageExitCode(program: Command, error: CommanderError, writeErr: (text: string) => void): ExitCode {
  if (error.exitCode === 0 || error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT.ok;
  if (error.code === "commander.unknownCommand") {
    writeErr(`commands: ${program.commands.map((c) => c.name()).join(", ")} (\`npm run ${program.name()} -- <command> --help\` for each)\n`);
  }
  return EXIT.badInput;
}

/** "`--stpes` is not an option; did you mean `--steps`?" for an unknown argument, given the command's options. */
export function unknownOptionProblem(argument: string, command: Command): string {
  const flags = command.options.map((o) => o.long).filter((f): f is string => f !== undefined);
  const name = argument.split("=")[0];
  const near = name.startsWith("-") ? suggestion(name, flags) : undefined;
  return `is not an option of this command${near ? `; did you mean ${near}?` : ""}`;
}

import type { Command } from "commander";
import { unknownOptionProblem } from "../../cli/exit-codes.ts";
import { ENVIRONMENT_NAME, rolloutEnvironment } from "../../config/stack-identity.ts";
import { targetNames } from "../targets/index.ts";
import type { FlagIssue } from "./render.ts";

/** The options every command takes: which environment, on which target. */
export interface CommonOptions {
  env?: string;
  stack?: string;
  target?: string;
  json?: boolean;
}

export function withCommon(command: Command): Command {
  return command
    .option("--env <name>", "environment (default: the stack name, else local)")
    .option("--stack <stack>", "Pulumi stack: selects the aws target")
    .option("--target <name>", `target: ${targetNames().join(" | ") || "none registered"} (default: aws with --stack, else local)`)
    .option("--json", "machine-readable output on stdout (progress goes to stderr)")
    .allowUnknownOption()
    .allowExcessArguments();
}

export function targetOf(options: CommonOptions): string {
  return options.target ?? (options.stack !== undefined ? "aws" : "local");
}

export function environmentOf(options: CommonOptions): string {
  return rolloutEnvironment(options.env, options.stack);
}

/** Unknown options and bad common options, as input problems reported with the command's own. */
export function commonIssues(options: CommonOptions, command: Command): FlagIssue[] {
  // The value after an unknown option (`--stpes 10,100`) is that option's, not another unknown argument.
  const unknown = command.args.filter((argument, i) => argument.startsWith("-") || !command.args[i - 1]?.startsWith("-"));
  const issues: FlagIssue[] = unknown.map((argument) => ({ field: argument, value: argument, problem: unknownOptionProblem(argument, command), fix: `see \`npm run rollout -- ${command.name()} --help\`` }));
  if (options.env !== undefined && !ENVIRONMENT_NAME.test(options.env)) {
    issues.push({ field: "--env", value: options.env, problem: "is not a plain name", fix: "use letters, digits, '-' or '_', e.g. --env staging" });
  }
  const target = targetOf(options);
  if (!targetNames().includes(target)) {
    issues.push({ field: "--target", value: target, problem: "is not a known target", fix: `use one of: ${targetNames().join(", ") || "(none registered)"}` });
  }
  if (options.stack !== undefined && options.target === "local") {
    issues.push({ field: "--stack", value: options.stack, problem: "applies to the aws target, not local", fix: "drop --stack for a local rollout, or drop --target local" });
  }
  return issues;
}

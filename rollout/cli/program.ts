import { Command } from "commander";
import { defineAbort } from "./commands/abort.ts";
import { definePlan } from "./commands/plan.ts";
import { definePromote } from "./commands/promote.ts";
import { defineResume } from "./commands/resume.ts";
import { defineStart } from "./commands/start.ts";
import { defineStatus } from "./commands/status.ts";
import type { CliContext, CliIo } from "./context.ts";
import { exitCodeForError, ROLLOUT_EXIT } from "./exit-codes.ts";
import { formatIssues } from "./render.ts";

export type { CliIo } from "./context.ts";

/** The commands, in `--help` order: one file each under commands/. */
const COMMANDS = [definePlan, defineStart, defineStatus, defineAbort, definePromote, defineResume] as const;

/** The CLI; returns the exit code instead of exiting so that tests can drive it in-process. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = ROLLOUT_EXIT.refused;
  const warn = (text: string) => void io.stderr.write(`${text}\n`);
  const cli: CliContext = {
    io,
    print: (text) => void io.stdout.write(`${text}\n`),
    warn,
    refuse: (command, issues) => {
      if (issues.length === 0) return false;
      warn(`rollout ${command}: ${issues.length} problem(s) in the input; nothing was changed:\n${formatIssues(issues)}`);
      return true;
    },
    action: (run) => async (options, command) => {
      exitCode = await run(options, command);
    },
  };
  const program = new Command("rollout")
    .description("Gradual canary rollouts with analysis and automatic rollback (docs/rollout.md)")
    .exitOverride()
    .configureOutput({ writeOut: (text) => void io.stdout.write(text), writeErr: (text) => void io.stderr.write(text) });
  for (const define of COMMANDS) define(program, cli);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    const code = exitCodeForError(error, program, (text) => void io.stderr.write(text));
    if (code === undefined) throw error;
    return code;
  }
}

import { CommanderError, type Command } from "commander";
import { EXIT, usageExitCode, UsageError, type ExitCode } from "../../cli/exit-codes.ts";
import type { RolloutPhase } from "../engine/model.ts";
import { StoreDamageError } from "../store/damage.ts";

/**
 * The rollout's one exit-code table: the project's contract (cli/exit-codes.ts, docs/cli.md) in the rollout's
 * words, how a rollout's final phase maps to it, and how an error a command throws maps to it.
 */
export const ROLLOUT_EXIT = {
  /** Promoted, or the command did what it was asked. */
  ok: EXIT.ok,
  /** Rolled back or aborted. */
  rolledBack: EXIT.failed,
  /** Bad input, a rollout already running, damaged state: nothing was changed. */
  refused: EXIT.badInput,
  /** Paused or awaiting approval; also an operator request the running rollout did not answer. */
  paused: EXIT.needsHuman,
  /** Rollback not verified, a rollout stopped mid-way, or a crash of the tool itself. */
  unsafe: EXIT.unsafe,
} as const satisfies Readonly<Record<string, ExitCode>>;

/** By final phase: 0 promoted, 1 rolled back (or aborted), 3 paused, 4 anything else; see docs/rollout.md. */
export function exitCodeForPhase(phase: RolloutPhase): ExitCode {
  switch (phase) {
    case "promoted":
      return ROLLOUT_EXIT.ok;
    case "rolled-back":
    case "aborted":
      return ROLLOUT_EXIT.rolledBack;
    case "paused":
    case "awaiting-approval":
      return ROLLOUT_EXIT.paused;
    default:
      // rollback-failed, or a rollout stopped mid-way: never report success.
      return ROLLOUT_EXIT.unsafe;
  }
}

/** A refusal with a message for the operator: exit 2 with nothing changed. */
export class Refusal extends Error {}

/**
 * What an error a command threw means: commander's usage errors (`--help` is 0), refusals and damaged state
 * are 2 with their message written to `writeErr`; undefined for anything else, a crash the caller reports
 * (and exits `ROLLOUT_EXIT.unsafe` for: nothing is known to be safe).
 */
export function exitCodeForError(error: unknown, program: Command, writeErr: (text: string) => void): ExitCode | undefined {
  if (error instanceof CommanderError) return usageExitCode(program, error, writeErr);
  if (error instanceof Refusal || error instanceof UsageError) {
    writeErr(`${error.message}\n`);
    return ROLLOUT_EXIT.refused;
  }
  if (error instanceof StoreDamageError) {
    writeErr(`refused: ${error.message}\n`);
    return ROLLOUT_EXIT.refused;
  }
  return undefined;
}

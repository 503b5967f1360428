import type { Writable } from "node:stream";
import type { Command } from "commander";
import type { FlagIssue } from "./render.ts";
import type { CancelSource } from "./signals.ts";

export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly cwd: string;
  /** Live progress and in-process pauses only on a terminal. */
  readonly interactive: boolean;
  /** Where SIGINT/SIGTERM come from; tests pass their own emitter. */
  readonly signals: CancelSource;
}

/** What every command gets: the process's streams and how to report its exit code. */
export interface CliContext {
  readonly io: CliIo;
  /** A line on stdout (the command's result). */
  print(text: string): void;
  /** A line on stderr (progress, refusals, advice). */
  warn(text: string): void;
  /** Reports every input problem at once; true when there was one (the command exits 2, nothing changed). */
  refuse(command: string, issues: readonly FlagIssue[]): boolean;
  /** Wraps a command's action so that the code it returns becomes the process's exit code. */
  action<O>(run: (options: O, command: Command) => Promise<number>): (options: O, command: Command) => Promise<void>;
}

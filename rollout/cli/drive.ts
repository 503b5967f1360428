import path from "node:path";
import { analysersFor } from "../engine/analysers.ts";
import { systemClock } from "../engine/clock.ts";
import { runRollout } from "../engine/engine.ts";
import type { RolloutState } from "../engine/model.ts";
import type { Target } from "../engine/ports.ts";
import { writeReports } from "../report/write.ts";
import type { CliContext } from "./context.ts";
import { exitCodeForPhase } from "./exit-codes.ts";
import { lineReporter, terminalReporter } from "./progress.ts";
import type { ClosableReporter } from "./progress.ts";
import { finishedOutput } from "./render.ts";
import { cancelOnSignals } from "./signals.ts";

export interface DriveOptions {
  readonly json?: boolean;
  readonly reportDir?: string;
  /** A `resume` of a rollout awaiting approval: this run is the approval. */
  readonly approved: boolean;
  readonly retryFailedRollback?: string;
}

/** Runs the engine on `state` in this process, with signal handling, progress and reports; returns the exit code. */
export async function drive(cli: CliContext, target: Target, state: RolloutState, options: DriveOptions): Promise<number> {
  const { io } = cli;
  const cancel = cancelOnSignals(io.signals, (text) => cli.warn(text));
  const reporter: ClosableReporter = options.json ? lineReporter(io.stderr, state.plan) : io.interactive ? terminalReporter(io.stdout, state.plan) : lineReporter(io.stdout, state.plan);
  let final: RolloutState;
  try {
    final = await runRollout(
      { router: target.router, deployer: target.deployer, hooks: target.hooks, store: target.store, analysers: analysersFor(target, state.plan.thresholds, state.plan.probePaths, state.plan.baseline), clock: target.clock ?? systemClock, reporter },
      state,
      { signal: cancel.signal, pauseMode: io.interactive ? "wait" : "exit", approved: options.approved, ...(options.retryFailedRollback ? { retryFailedRollback: options.retryFailedRollback } : {}) },
    );
  } finally {
    reporter.close();
    cancel.dispose();
  }
  const written = await writeReports(path.resolve(io.cwd, options.reportDir ?? path.join(".readiness", "reports", state.environment)), final);
  const output = finishedOutput(final, written, { json: options.json ?? false, cwd: io.cwd });
  cli.print(output.stdout);
  for (const line of output.stderr) cli.warn(line);
  return exitCodeForPhase(final.phase);
}

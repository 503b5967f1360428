import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { LoopbackSite } from "./site.ts";
import { loopbackSiteDir, rolloutStateRoot, startLoopbackSite, stopLoopbackSite } from "./site.ts";
import type { LoadSummary, RunningLoad } from "./load.ts";
import { startLoad } from "./load.ts";
import type { LocalWatchdogArgs } from "./watchdog-process.ts";

/**
 * Rehearsals: real rollouts on the loopback site, as the demo, the end-to-end tests and the benchmarks run them.
 * A site under steady load (startRehearsal), and the rollout CLI as its own process (spawnRolloutCli).
 */

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** A finished CLI run: how it ended and what it printed (empty when the output went to the terminal). */
export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningCli {
  readonly child: ChildProcess;
  /** Everything printed so far (to wait for a line such as the first analysis). */
  output(): string;
  readonly done: Promise<CliRun>;
}

/** CLI processes started by spawnRolloutCli that have not ended yet (an interrupted test run kills them). */
const runningClis = new Set<ChildProcess>();

export function rolloutClisRunning(): ChildProcess[] {
  return [...runningClis];
}

/**
 * How the CLI is started: `node` (node with tsx imported, the default), `bin` (`./bin/rollout.mjs`, the entry
 * point for supervisors) or `npm` (`npm run rollout --`, npm being the top process).
 */
export type RolloutEntry = "node" | "bin" | "npm";

function entryCommand(entry: RolloutEntry, args: readonly string[]): [string, string[]] {
  switch (entry) {
    case "bin":
      return [path.join(PROJECT_ROOT, "bin/rollout.mjs"), [...args]];
    case "npm":
      return ["npm", ["run", "--silent", "rollout", "--", ...args]];
    default:
      return [process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "scripts/rollout.ts"), ...args]];
  }
}

/**
 * Runs the rollout CLI as its own process (the entry points an operator uses), so that signals, `kill -9`
 * and a concurrent second `start` cross a real process boundary. `child` is the top process of `entry`, the
 * one a supervisor would signal. Bounded: killed after `timeoutMs`.
 */
export function spawnRolloutCli(args: readonly string[], options: { cwd?: string; timeoutMs: number; showOutput?: boolean; entry?: RolloutEntry }): RunningCli {
  const [command, commandArgs] = entryCommand(options.entry ?? "node", args);
  const child = spawn(command, commandArgs, {
    cwd: options.cwd ?? PROJECT_ROOT,
    // Plain progress lines unless the output goes to the operator's terminal (the demo).
    env: options.showOutput ? process.env : { ...process.env, CI: "1" },
    stdio: ["ignore", options.showOutput ? "inherit" : "pipe", options.showOutput ? "inherit" : "pipe"],
  });
  runningClis.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
  const done = new Promise<CliRun>((resolve) =>
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      runningClis.delete(child);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return { child, output: () => stdout + stderr, done };
}

/** A loopback site with steady load through it, ready for a rollout. */
export interface Rehearsal {
  /** The rollout environment (`--env`) the site belongs to. */
  readonly environmentName: string;
  readonly dir: string;
  readonly site: LoopbackSite;
  readonly load: RunningLoad;
  /** Stops the load, then every process of the site. Safe to call twice. */
  stop(): Promise<LoadSummary>;
}

/**
 * A loopback site (HAProxy + stable version + watchdog) with steady load through it, as the demo, the end-to-end
 * tests and the benchmark need it before a rollout starts.
 */
export async function startRehearsal(options: {
  environmentName: string;
  stableImage: string;
  ratePerSecond: number;
  maxDurationS: number;
  cwd?: string;
  /** Load connections (default 4); a slow version needs more to keep the rate. */
  connections?: number;
  /** The rollout watchdog's settings (it always runs, as with every loopback site); e.g. a short abandon deadline in tests. */
  watchdog?: Pick<LocalWatchdogArgs, "abandonedAfterMs" | "pollMs">;
}): Promise<Rehearsal> {
  const cwd = options.cwd ?? PROJECT_ROOT;
  const dir = loopbackSiteDir(cwd, options.environmentName);
  fs.rmSync(dir, { recursive: true, force: true });
  const watchdog = { stateRoot: rolloutStateRoot(cwd), environment: options.environmentName, ...options.watchdog };
  const site = await startLoopbackSite({ dir, stableImage: options.stableImage, watchdog });
  const load = startLoad({ url: `http://127.0.0.1:${site.trafficPort}/`, ratePerSecond: options.ratePerSecond, maxDurationS: options.maxDurationS, ...(options.connections ? { connections: options.connections } : {}) });
  let summary: LoadSummary | undefined;
  return {
    environmentName: options.environmentName,
    dir,
    site,
    load,
    async stop() {
      summary ??= await load.stop();
      await stopLoopbackSite(dir);
      return summary;
    },
  };
}

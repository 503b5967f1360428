import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { spawnDetached } from "../../shared/processes.ts";
import { LOCAL_DIR_VARIABLE } from "./processes.ts";

const WATCHDOG_MAIN = fileURLToPath(new URL("./watchdog-main.ts", import.meta.url));

export interface LocalWatchdogArgs {
  /** `<repo>/.readiness/rollouts`: where the rollouts of this environment keep their state and lock. */
  readonly stateRoot: string;
  /** The rollout environment name (`--env`). */
  readonly environment: string;
  /** An orchestrator gone this long is rolled back even with a healthy canary; default 60 s (`READINESS_WATCHDOG_ABANDONED_AFTER_MS`). */
  readonly abandonedAfterMs?: number;
  /** How often the watchdog looks; default 500 ms. */
  readonly pollMs?: number;
}

/**
 * Starts the watchdog as a detached process of the loopback site (like HAProxy and the app versions it outlives
 * the rollout process on purpose: it exists for when that process is killed). Logs to `<dir>/watchdog.log`.
 */
export function startLocalWatchdog(dir: string, args: LocalWatchdogArgs): number {
  const abandoned = args.abandonedAfterMs ?? process.env.READINESS_WATCHDOG_ABANDONED_AFTER_MS;
  // tsx's loader by absolute URL: the site's directory need not be inside the repository.
  const tsx = pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist", "loader.mjs")).href;
  const argv = ["--import", tsx, WATCHDOG_MAIN, path.resolve(args.stateRoot), args.environment, dir, String(abandoned ?? ""), String(args.pollMs ?? "")];
  return spawnDetached(process.execPath, argv, { cwd: dir, env: { ...process.env, [LOCAL_DIR_VARIABLE]: path.resolve(dir) }, logPath: path.join(dir, "watchdog.log") }).pid;
}

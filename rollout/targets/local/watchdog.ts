import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { CanaryHealth, Observation, WatchdogOutcome, WatchdogPorts, WatchdogSettings } from "../../../lambdas/rollout-watchdog/core.ts";
import { canaryFailures, runWatchdogOnce } from "../../../lambdas/rollout-watchdog/core.ts";
import { type LoopbackSite, readLoopbackSite, SITE_FILE } from "./site.ts";
import { LocalMetricsReader, versionSample } from "./metrics.ts";
import { isProcessAlive } from "../../shared/processes.ts";
import { LocalTrafficRouter } from "./router.ts";
import type { RolloutState } from "../../engine/model.ts";
import { FileStateStore } from "../../store/file-store.ts";
import { errorMessage } from "../../shared/errors.ts";

/**
 * The local target's watchdog: a process started with the loopback site (docs/rollout-local.md) that
 * runs the same core as the AWS Lambda. Its adapters: the file state store, HAProxy's runtime API as the
 * router, and HAProxy's stats page + request log as the canary's health, judged against the rollout's own
 * thresholds. It exits when the site's HAProxy is gone.
 */

/** Local defaults: a dead pid is seen at once, so only the abandon deadline needs a number. */
export const LOCAL_WATCHDOG_DEFAULTS: WatchdogSettings = { heartbeatStaleAfterMs: 30_000, abandonedAfterMs: 60_000 };
export const LOCAL_WATCHDOG_POLL_MS = 500;

export interface LocalWatchdogOptions {
  /** `<repo>/.readiness/rollouts`: the FileStateStore root the rollouts of this environment use. */
  readonly stateRoot: string;
  readonly environment: string;
  /** The loopback site's directory (site.json, haproxy.log). */
  readonly siteDir: string;
  readonly settings: WatchdogSettings;
  readonly pollMs: number;
  readonly log: (line: Record<string, unknown>) => void;
}

/**
 * Tracks the canary's health window by window: failing windows in a row set `failingSince`, a passing one
 * resets it. A reading that cannot be taken (stats page down) is no evidence either way.
 */
export class CanaryHealthTracker {
  private failingSince: number | undefined;

  constructor(private readonly reader: Pick<LocalMetricsReader, "read">) {}

  async observe(state: RolloutState | undefined, now: number): Promise<CanaryHealth> {
    let failing: string[];
    try {
      // The sample the local target's analysis sees; healthy means HAProxy's health check passes.
      const window = (await this.reader.read(["canary"])).canary;
      failing = state === undefined ? [] : canaryFailures({ ...versionSample(window), healthy: window.healthy }, state.plan.thresholds);
    } catch {
      failing = [];
    }
    this.failingSince = failing.length === 0 ? undefined : (this.failingSince ?? now);
    return { failing, ...(this.failingSince === undefined ? {} : { failingSince: this.failingSince }) };
  }
}

/** The ports of the shared core on the local target: the file store's conditional save is the claim. */
export function localWatchdogPorts(options: Pick<LocalWatchdogOptions, "stateRoot" | "environment" | "log">, site: Pick<LoopbackSite, "adminSocketPath">): WatchdogPorts & { store: FileStateStore } {
  const store = new FileStateStore({ root: options.stateRoot });
  const router = new LocalTrafficRouter(site.adminSocketPath);
  return {
    store,
    loadState: () => store.loadVersioned(options.environment),
    saveState: (state, version) => store.save(state, version),
    setWeights: (weights) => router.setWeights(weights),
    readWeights: () => router.readWeights(),
    releaseLock: (holder) => store.releaseLock(options.environment, holder),
    async notify(subject, message) {
      options.log({ level: "warn", notify: subject, message });
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
    // Every 500 ms a "nothing to do": the loop logs changes of outcome instead.
    log: (line) => {
      if (line.decision !== "none") options.log(line);
    },
  };
}

/** One round on the local target. */
export async function localWatchdogRound(ports: ReturnType<typeof localWatchdogPorts>, tracker: CanaryHealthTracker, options: Pick<LocalWatchdogOptions, "environment" | "settings">): Promise<WatchdogOutcome> {
  return runWatchdogOnce(
    ports,
    async (state): Promise<Omit<Observation, "state" | "now">> => {
      const canary = await tracker.observe(state, Date.now());
      const lock = state === undefined ? undefined : await ports.store.readLock(options.environment);
      return {
        canary,
        lock: lock && { holder: lock.holder, ...(lock.holder.host === os.hostname() ? { pidAlive: isProcessAlive(lock.holder.pid) } : {}) },
      };
    },
    options.settings,
  );
}

/** Runs rounds every `pollMs` until the site's HAProxy is gone or `signal` aborts. */
export async function runLocalWatchdog(options: LocalWatchdogOptions, signal?: AbortSignal): Promise<void> {
  const site = readLoopbackSite(options.siteDir);
  const ports = localWatchdogPorts(options, site);
  const tracker = new CanaryHealthTracker(new LocalMetricsReader(site.statsPort, site.requestLogPath));
  options.log({ level: "info", event: "started", environment: options.environment, stateRoot: options.stateRoot, ...options.settings, pollMs: options.pollMs });
  let last = "";
  while (!signal?.aborted && isProcessAlive(site.haproxyPid) && fs.existsSync(path.join(options.siteDir, SITE_FILE))) {
    try {
      const outcome = await localWatchdogRound(ports, tracker, options);
      // Log changes only: a quiet site does not fill the log.
      const line = JSON.stringify(outcome);
      if (line !== last) options.log({ level: outcome.result === "no-op" ? "info" : "warn", ...outcome });
      last = line;
    } catch (error) {
      options.log({ level: "error", problem: "watchdog round failed", error: errorMessage(error) });
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
  options.log({ level: "info", event: "stopped", why: signal?.aborted ? "signal" : "the site's haproxy is gone" });
}

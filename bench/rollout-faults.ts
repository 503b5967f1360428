// The fault table of npm run bench:rollout (issue 11): what happens to traffic when the rollout process is
// cancelled, killed mid-shift, loses its router, or races a second start. Real HAProxy, real processes, the CLI
// through the entry points an operator uses. Each row: time from the fault to all traffic verified on stable
// (read back from HAProxy), and the requests that failed meanwhile.
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Rehearsal, RolloutEntry } from "../rollout/targets/local/rehearsal.ts";
import { spawnRolloutCli } from "../rollout/targets/local/rehearsal.ts";
import type { RunningLoad } from "../rollout/targets/local/load.ts";
import { startLoad } from "../rollout/targets/local/load.ts";
import { waitFor } from "../rollout/shared/processes.ts";
import { processesOf } from "../rollout/targets/local/processes.ts";
import { LocalTrafficRouter } from "../rollout/targets/local/router.ts";
import type { RolloutState } from "../rollout/engine/model.ts";
import type { FileStateStore } from "../rollout/store/file-store.ts";
import { attachLoopbackSite, loopbackSiteDir, SITE_FILE } from "../rollout/targets/local/site.ts";

export interface FaultRow {
  readonly fault: string;
  /** Fault -> stable 100 / canary 0 verified by reading HAProxy back; undefined when it never got there. */
  readonly toVerifiedMs?: number;
  readonly failed: number;
  readonly requests: number;
  readonly outcome: string;
  /** The issue's target for this row, and whether it was met. */
  readonly target?: { readonly text: string; readonly met: boolean };
}

const TIMEOUT_MS = 120_000;
const FLAGS = ["--steps", "10,50,100", "--interval", "1s", "--non-interactive"];

function lastVerifiedStable(state: RolloutState): number | undefined {
  const record = state.weightHistory.findLast((entry) => entry.verified && entry.weights.canary === 0);
  return record?.at;
}

async function finished(store: FileStateStore, environment: string): Promise<RolloutState> {
  return waitFor("the rollout to finish", 60_000, async () => {
    const state = await store.load(environment);
    return state?.finishedAt !== undefined ? state : undefined;
  }, 20);
}

function failuresBetween(load: RunningLoad, from: number, to: number): number {
  return load.snapshot().failureTimes.filter((at) => at >= from && at <= to).length;
}

/** SIGTERM to the top process of an entry point, mid-bake. */
export async function sigtermRow(bench: Rehearsal, store: FileStateStore, entry: RolloutEntry): Promise<FaultRow> {
  const before = bench.load.snapshot();
  const running = spawnRolloutCli(["start", "--target", "local", "--env", bench.environmentName, "--image", "sample-app:2.0.0", ...FLAGS, "--bake", "30s"], { timeoutMs: TIMEOUT_MS, entry });
  await waitFor("the canary to carry traffic", 60_000, async () => ((await store.load(bench.environmentName))?.phase === "baking" ? true : undefined), 20);
  const faultAt = Date.now();
  running.child.kill("SIGTERM");
  const state = await finished(store, bench.environmentName);
  await running.done;
  const verifiedAt = lastVerifiedStable(state);
  const toVerifiedMs = verifiedAt === undefined ? undefined : verifiedAt - faultAt;
  const requests = bench.load.snapshot().requests - before.requests;
  return {
    fault: `SIGTERM to ${entry === "npm" ? "`npm run rollout`" : "`./bin/rollout.mjs`"} mid-bake`,
    ...(toVerifiedMs === undefined ? {} : { toVerifiedMs }),
    failed: failuresBetween(bench.load, faultAt, verifiedAt ?? Date.now()),
    requests,
    outcome: `${state.phase}: ${state.reason ?? ""}`,
    target: { text: "verified rollback <= 1 s", met: toVerifiedMs !== undefined && toVerifiedMs <= 1_000 && state.phase === "aborted" },
  };
}

/**
 * A UNIX socket in front of HAProxy's runtime API that holds every command for `delayMs`: a slow router, so
 * that a kill can land inside a weight change (a few milliseconds otherwise).
 */
async function slowRuntimeApi(realSocket: string, delayMs: number): Promise<{ readonly path: string; close(): Promise<void> }> {
  const socketPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "readiness-slow-")), "admin.sock");
  // The client half-closes after its command (HAProxy non-interactive mode): keep our side open for the answer.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    client.once("data", (command) => {
      setTimeout(() => {
        const upstream = net.connect(realSocket, () => upstream.end(command));
        upstream.on("data", (chunk) => client.write(chunk));
        upstream.on("close", () => client.end());
        upstream.on("error", () => client.destroy());
      }, delayMs);
    });
    client.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    path: socketPath,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * kill -9 while the second shift is in flight. Nothing in this process survives the kill; what `status` shows
 * (intended vs verified) is recorded, and traffic is brought back by `abort --take-over-stale` run at once (the
 * watchdog of issue 11b does this without a person).
 */
export async function sigkillMidShiftRow(bench: Rehearsal, store: FileStateStore): Promise<FaultRow> {
  const environment = bench.environmentName;
  // The rollout process talks to HAProxy through a slow socket (150 ms per command), so the 10 -> 50 change
  // takes about a second and the kill lands inside it; status and abort below use the real socket again.
  const siteFile = path.join(bench.dir, SITE_FILE);
  const original = fs.readFileSync(siteFile, "utf8");
  const slow = await slowRuntimeApi(bench.site.adminSocketPath, 150);
  fs.writeFileSync(siteFile, JSON.stringify({ ...bench.site, adminSocketPath: slow.path }));
  const running = spawnRolloutCli(["start", "--target", "local", "--env", environment, "--image", "sample-app:2.0.0", ...FLAGS, "--bake", "2s", "--verify-timeout", "10s"], { timeoutMs: TIMEOUT_MS });
  let atShift: RolloutState;
  let faultAt: number;
  try {
    // The write-ahead intention of the second shift is on record, the change not yet verified.
    atShift = await waitFor("the second shift", 60_000, async () => {
      const state = await store.load(environment).catch(() => undefined);
      return state?.finishedAt === undefined && state?.intendedWeights?.canary === 50 && state.weights.canary === 10 ? state : undefined;
    }, 5);
    await new Promise((resolve) => setTimeout(resolve, 200));
    running.child.kill("SIGKILL");
    faultAt = Date.now();
    await running.done;
  } finally {
    fs.writeFileSync(siteFile, original);
    await slow.close();
  }
  const killed = (await store.load(environment)) ?? atShift;
  const router = new LocalTrafficRouter(bench.site.adminSocketPath);
  const seen = await router.readWeights();
  const exposure = (seen.canary * 100) / (seen.stable + seen.canary);
  const status = spawnRolloutCli(["status", "--target", "local", "--env", environment], { timeoutMs: TIMEOUT_MS });
  const statusOutput = (await status.done).stdout;
  const abortStartedAt = Date.now();
  const abort = spawnRolloutCli(["abort", "--target", "local", "--env", environment, "--take-over-stale", "--reason", "bench: killed mid-shift"], { timeoutMs: TIMEOUT_MS });
  await abort.done;
  const state = await finished(store, environment);
  const verifiedAt = lastVerifiedStable(state);
  const intended = killed.intendedWeights ? `intended canary ${killed.intendedWeights.canary}` : "no intention";
  const landed = `kill sent 200 ms after the state showed verified canary ${atShift.weights.canary} / intended ${atShift.intendedWeights?.canary}`;
  const shown = /INTENDED/.test(statusOutput) ? "status showed intended and verified" : "status showed verified only: the shift completed before the kill arrived";
  return {
    fault: "SIGKILL mid-shift (10 -> 50, router slowed to 150 ms per command), then `abort --take-over-stale` at once",
    ...(verifiedAt === undefined ? {} : { toVerifiedMs: verifiedAt - faultAt }),
    failed: failuresBetween(bench.load, faultAt, verifiedAt ?? Date.now()),
    requests: 0,
    outcome: `${landed}; after it: verified canary ${killed.weights.canary}, ${intended}, router ${seen.stable}/${seen.canary} = canary ${exposure.toFixed(0)} % of traffic (${shown}); ${state.phase}, ${verifiedAt === undefined ? "?" : verifiedAt - abortStartedAt} ms of it after the abort command started`,
  };
}

/** The runtime API disappears for 2 s mid-bake (its socket renamed away, HAProxy keeps routing). */
export async function routerLostRow(bench: Rehearsal, store: FileStateStore): Promise<FaultRow> {
  const environment = bench.environmentName;
  const before = bench.load.snapshot();
  const running = spawnRolloutCli(["start", "--target", "local", "--env", environment, "--image", "sample-app:2.0.0", ...FLAGS, "--bake", "10s"], { timeoutMs: TIMEOUT_MS });
  await waitFor("the first analysis", 60_000, async () => {
    const state = await store.load(environment);
    return state?.finishedAt === undefined && (state?.analyses.length ?? 0) >= 1 ? true : undefined;
  }, 20);
  const socket = bench.site.adminSocketPath;
  fs.renameSync(socket, `${socket}.lost`);
  const faultAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  fs.renameSync(`${socket}.lost`, socket);
  await running.done;
  const state = await finished(store, environment);
  const verifiedAt = lastVerifiedStable(state);
  const detectedAt = state.transitions.find((transition) => transition.to === "rolling-back")?.at;
  return {
    fault: "router lost for 2 s mid-bake (runtime API socket gone)",
    ...(verifiedAt === undefined ? {} : { toVerifiedMs: verifiedAt - faultAt }),
    failed: failuresBetween(bench.load, faultAt, verifiedAt ?? Date.now()),
    requests: bench.load.snapshot().requests - before.requests,
    outcome: `detected after ${detectedAt === undefined ? "?" : detectedAt - faultAt} ms; ${state.phase}: ${state.reason ?? ""}`,
  };
}

/** Two `start`s at the same moment with nothing running: one rollout, nothing orphaned, no failed request. */
export async function concurrentStartRow(root: string, store: FileStateStore): Promise<FaultRow> {
  const environment = "bench-concurrent";
  const dir = loopbackSiteDir(root, environment);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(path.join(root, ".readiness", "rollouts", environment), { recursive: true, force: true });
  const args = ["start", "--target", "local", "--env", environment, "--image", "sample-app:2.0.0", ...FLAGS, "--bake", "2s"];
  const startedAt = Date.now();
  const runs = [spawnRolloutCli(args, { timeoutMs: TIMEOUT_MS }), spawnRolloutCli(args, { timeoutMs: TIMEOUT_MS })];
  // Our own load through the HAProxy the winner starts (once its state exists, the environment is up), so that
  // failed requests are counted here.
  await waitFor("the winner's state", 60_000, async () => ((await store.load(environment)) ? true : undefined), 20);
  const running = await waitFor("the winner's HAProxy", 10_000, () => attachLoopbackSite(dir), 20);
  const load = startLoad({ url: `http://127.0.0.1:${running.trafficPort}/`, ratePerSecond: 200, maxDurationS: 120 });
  const done = await Promise.all(runs.map((run) => run.done));
  const state = await store.load(environment);
  const summary = await load.stop();
  const finishedAt = state?.finishedAt ?? Date.now();
  const orphans = processesOf(dir);
  const codes = done.map((run) => run.code).sort();
  const failed = summary.failureTimes.filter((at) => at <= finishedAt).length;
  // The winner's verdict depends on the evidence its own load gives in a short bake; one rollout must finish.
  const oneRollout = (codes[0] === 0 || codes[0] === 1) && codes[1] === 2;
  return {
    fault: "two simultaneous `start`s, nothing running",
    failed,
    requests: summary.requests,
    outcome: `exit codes ${codes.join(" and ")}, winner ${state?.phase ?? "?"} after ${finishedAt - startedAt} ms, orphaned processes: ${orphans.length}${failed > 0 ? `, failures at +${summary.failureTimes.map((at) => at - startedAt).join(", +")} ms` : ""}`,
    target: { text: "exactly one rollout, no orphaned process, 0 failed requests", met: oneRollout && orphans.length === 0 && failed === 0 && state?.finishedAt !== undefined },
  };
}

export function printFaultTable(rows: readonly FaultRow[]): void {
  console.log("\nfault table (local target, real HAProxy; fault -> stable 100 / canary 0 verified by reading HAProxy back):");
  for (const row of rows) {
    const verified = row.toVerifiedMs === undefined ? "(no rollback)" : `${row.toVerifiedMs} ms`;
    console.log(`  ${row.fault}\n    -> ${verified}, failed requests ${row.failed}${row.requests ? `/${row.requests}` : ""}; ${row.outcome}`);
    if (row.target) console.log(`    ${row.target.met ? "PASS" : "MISS"} ${row.target.text}`);
  }
}

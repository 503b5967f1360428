// npm run bench:analysis: how the canary analysis decides, measured on the local target (real HAProxy, real
// processes, steady load, the rollout CLI as an operator runs it). Each row rolls out a canary with one kind of
// fault BENCH_RUNS times (default 20), each run on a fresh environment (so stable is the same every time) and
// with its own seed for the sample app's failure generator, and prints how often it was promoted, rolled
// back or paused, the failed requests and the time to the decision. Rows: BENCH_ROWS=0%,2%,... (default all).
import fs from "node:fs";
import path from "node:path";
import { spawnRolloutCli, startRehearsal } from "../rollout/targets/local/rehearsal.ts";
import type { RolloutState } from "../rollout/engine/model.ts";
import { FileStateStore } from "../rollout/store/file-store.ts";
import { modelTable } from "./analysis-model.ts";

const ENVIRONMENT = "bench-analysis";
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const RATE = Number(process.env.BENCH_RATE ?? 600);
/**
 * Short bakes and a high rate: the whole table must finish on two busy cores. 1 % limit, defaults otherwise.
 * The interval is 1 s because the load generator sends each second's requests in a burst at its start.
 */
const PLAN = { steps: [50, 100], bakeMs: 2_000, maxBakeMs: 15_000, intervalMs: 1_000, ratePerSecond: RATE };
const PLAN_FLAGS = ["--steps", PLAN.steps.join(","), "--bake", "2s", "--interval", "1s", "--max-bake", "15s", "--max-error-rate", "1", "--non-interactive"];

interface Row {
  readonly name: string;
  readonly canary: (seed: number) => string;
  readonly stable?: (seed: number) => string;
  /** What the row must show (the issue's targets), checked at the end. */
  readonly target?: { readonly text: string; readonly ok: (counts: Counts) => boolean };
}

interface Counts {
  readonly runs: number;
  readonly promoted: number;
  readonly rolledBack: number;
  readonly paused: number;
  readonly other: number;
  /** Rolled back with a reason naming the canary (not "both versions"). */
  readonly blamedCanary: number;
  readonly failedHealthy: number;
}

const rate = (percent: number) => (seed: number) => `sample-app:2.0.0?error-rate=${percent / 100}&seed=${seed}`;
const ROWS: readonly Row[] = [
  { name: "0%", canary: (seed) => `sample-app:2.0.0?seed=${seed}`, target: { text: "promoted >= 95 %, 0 failed requests", ok: (c) => c.promoted / c.runs >= 0.95 && c.failedHealthy === 0 } },
  { name: "0.5%", canary: rate(0.5), target: { text: "promoted >= 95 %", ok: (c) => c.promoted / c.runs >= 0.95 } },
  { name: "1%", canary: rate(1) },
  { name: "2%", canary: rate(2), target: { text: "rolled back >= 99 %", ok: (c) => c.rolledBack / c.runs >= 0.99 } },
  { name: "5%", canary: rate(5), target: { text: "rolled back >= 99 %", ok: (c) => c.rolledBack / c.runs >= 0.99 } },
  { name: "20%", canary: rate(20), target: { text: "rolled back >= 99 %", ok: (c) => c.rolledBack / c.runs >= 0.99 } },
  { name: "flapping", canary: (seed) => `sample-app:2.0.0?error-rate=1&error-flap-s=1&seed=${seed}`, target: { text: "never promoted", ok: (c) => c.promoted === 0 } },
  { name: "latency +300 ms", canary: () => "sample-app:2.0.0?latency-ms=300", target: { text: "rolled back (worse than stable, under the 500 ms limit)", ok: (c) => c.rolledBack / c.runs >= 0.99 } },
  { name: "latency +800 ms", canary: () => "sample-app:2.0.0?latency-ms=800", target: { text: "rolled back >= 99 %", ok: (c) => c.rolledBack / c.runs >= 0.99 } },
  {
    name: "both 5%",
    canary: rate(5),
    stable: (seed) => `sample-app:1.0.0?error-rate=0.05&seed=${seed + 100_000}`,
    target: { text: "never reported as a canary failure", ok: (c) => c.blamedCanary === 0 },
  },
];

interface RunResult {
  readonly state: RolloutState;
  readonly failed: number;
  readonly requests: number;
  /** First verified canary traffic -> the decision (terminal phase or pause). */
  readonly decisionMs: number;
}

const store = new FileStateStore({ root: path.resolve(".readiness", "rollouts") });

/**
 * A fresh environment; retried because the free ports it picks may be taken by another process before
 * HAProxy binds them (a busy shared machine), which says nothing about the analysis.
 */
async function startEnvironment(stableImage: string, attempts = 3): ReturnType<typeof startRehearsal> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRehearsal({ environmentName: ENVIRONMENT, stableImage, ratePerSecond: RATE, maxDurationS: 300, connections: 64 });
    } catch (error) {
      if (attempt >= attempts) throw error;
      console.log(`  (environment did not start, attempt ${attempt}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}; retrying)`);
    }
  }
}

async function runOnce(row: Row, seed: number): Promise<RunResult> {
  fs.rmSync(path.resolve(".readiness", "rollouts", ENVIRONMENT), { recursive: true, force: true });
  const bench = await startEnvironment(row.stable?.(seed) ?? "sample-app:1.0.0");
  try {
    const before = bench.load.snapshot();
    const run = await spawnRolloutCli(["start", "--target", "local", "--env", ENVIRONMENT, "--image", row.canary(seed), ...PLAN_FLAGS], { timeoutMs: 120_000 }).done;
    const after = bench.load.snapshot();
    const state = await store.load(ENVIRONMENT);
    if (state === undefined || run.code === null) throw new Error(`rollout of ${row.canary(seed)} did not finish:\n${run.stdout}${run.stderr}`);
    const firstTraffic = state.weightHistory.find((record) => record.verified && record.weights.canary > 0)?.at ?? state.startedAt;
    const decidedAt = state.transitions.find((record) => record.to === "paused" || record.to === "rolling-back" || record.to === "promoting")?.at ?? state.updatedAt;
    return { state, failed: after.failed - before.failed, requests: after.requests - before.requests, decisionMs: decidedAt - firstTraffic };
  } finally {
    await bench.stop();
  }
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const pct = (part: number, whole: number) => `${Math.round((100 * part) / Math.max(1, whole))}%`;

const selected = process.env.BENCH_ROWS ? ROWS.filter((row) => (process.env.BENCH_ROWS as string).split(",").includes(row.name)) : ROWS;
const table: string[] = [];
const checks: [string, boolean][] = [];
console.log(`the decision rule under binomial traffic for this plan (bench/analysis-model.ts, 2000 runs per rate, stable 0 %):`);
for (const line of modelTable(PLAN, [0, 0.005, 0.01, 0.02, 0.05], 2_000)) console.log(line);
console.log(`\ncanary analysis on the local target: ${RUNS} rollouts per row, ${RATE} req/s, ${PLAN_FLAGS.join(" ")}`);
for (const row of selected) {
  const results: RunResult[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const result = await runOnce(row, run);
    results.push(result);
    console.log(`  ${row.name} run ${run}/${RUNS}: ${result.state.phase} after ${result.decisionMs} ms, failed ${result.failed}/${result.requests}${result.state.reason ? `: ${result.state.reason.slice(0, 160)}` : ""}`);
  }
  const phase = (name: RolloutState["phase"]) => results.filter((result) => result.state.phase === name).length;
  const counts: Counts = {
    runs: results.length,
    promoted: phase("promoted"),
    rolledBack: phase("rolled-back"),
    paused: phase("paused"),
    other: results.length - phase("promoted") - phase("rolled-back") - phase("paused"),
    blamedCanary: results.filter((result) => result.state.phase === "rolled-back").length,
    failedHealthy: results.filter((result) => result.state.phase === "promoted").reduce((sum, result) => sum + result.failed, 0),
  };
  const failed = results.map((result) => result.failed);
  const line = `| ${row.name} | ${counts.runs} | ${pct(counts.promoted, counts.runs)} | ${pct(counts.rolledBack, counts.runs)} | ${pct(counts.paused, counts.runs)}${counts.other > 0 ? ` (+${counts.other} other)` : ""} | ${median(failed)} (max ${Math.max(...failed)}) | ${(median(results.map((r) => r.decisionMs)) / 1000).toFixed(1)} s (max ${(Math.max(...results.map((r) => r.decisionMs)) / 1000).toFixed(1)} s) |`;
  table.push(line);
  console.log(line);
  if (row.target) checks.push([`${row.name}: ${row.target.text}`, row.target.ok(counts)]);
}
console.log("\n| true canary fault | runs | promoted | rolled back | paused | failed requests per run, median | time to decision, median |");
console.log("|---|---|---|---|---|---|---|");
for (const line of table) console.log(line);
console.log("");
for (const [name, ok] of checks) console.log(`  ${ok ? "PASS" : "MISS"} ${name}`);
if (checks.some(([, ok]) => !ok)) process.exitCode = 1;

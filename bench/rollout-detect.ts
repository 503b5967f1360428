// npm run bench:rollout: how fast a failing canary is detected and rolled back, and what it costs, with the
// real HAProxy, real processes and steady load. Drives the rollout CLI exactly as an operator would.
import path from "node:path";
import { spawnRolloutCli, startLocalRolloutBench } from "../rollout/adapters/local/harness.ts";
import type { RolloutState } from "../rollout/engine/ports.ts";
import { FileStateStore } from "../rollout/store/file-store.ts";
import type { FaultRow } from "./rollout-faults.ts";
import { concurrentStartRow, printFaultTable, routerLostRow, sigkillMidShiftRow, sigtermRow } from "./rollout-faults.ts";

const ENVIRONMENT = "bench";
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** BENCH_FAULTS=only runs just the fault table; BENCH_FAULTS=skip leaves it out. */
const FAULTS = process.env.BENCH_FAULTS ?? "run";
const RATE = 200;
const INTERVAL_MS = 1_000;
const FAILING_IMAGE = "sample-app:3.0.0?error-rate=0.5";
const PLAN_FLAGS = ["--steps", "10,50,100", "--bake", "3s", "--interval", `${INTERVAL_MS}ms`, "--non-interactive"];

interface FailedRun {
  /** Canary starts failing: the shift to the first step, read back from HAProxy. */
  readonly detectMs: number;
  readonly fromFirstFailingMeasurementMs: number;
  readonly failed: number;
  readonly requests: number;
  /** What the canary would have served during the detection window: the most that could fail. */
  readonly bound: number;
}

const store = new FileStateStore({ root: path.resolve(".readiness", "rollouts") });
const bench = await startLocalRolloutBench({ environmentName: ENVIRONMENT, stableImage: "sample-app:1.0.0", ratePerSecond: RATE, maxDurationS: 900 });

async function rollout(image: string): Promise<{ state: RolloutState; failureTimes: readonly number[]; requests: number; failed: number }> {
  const before = bench.load.snapshot();
  const run = await spawnRolloutCli(["start", "--target", "local", "--env", ENVIRONMENT, "--image", image, ...PLAN_FLAGS], { timeoutMs: 120_000 }).done;
  const after = bench.load.snapshot();
  const state = await store.load(ENVIRONMENT);
  if (state === undefined || run.code === null) throw new Error(`rollout of ${image} did not finish:\n${run.stdout}${run.stderr}`);
  return { state, failureTimes: after.failureTimes.slice(before.failed), requests: after.requests - before.requests, failed: after.failed - before.failed };
}

function failedRunFigures(state: RolloutState, failureTimes: readonly number[], requests: number): FailedRun {
  const failingFrom = state.weightHistory.find((record) => record.verified && record.weights.canary > 0);
  const verifiedOnStable = state.weightHistory.findLast((record) => record.verified && record.weights.canary === 0);
  const firstFailing = state.analyses.find((analysis) => analysis.verdict === "fail");
  if (state.phase !== "rolled-back" || !failingFrom || !verifiedOnStable || !firstFailing) throw new Error(`expected a rollback after a failing analysis, got ${state.phase}: ${state.reason}`);
  const detectMs = verifiedOnStable.at - failingFrom.at;
  return {
    detectMs,
    fromFirstFailingMeasurementMs: verifiedOnStable.at - firstFailing.at,
    failed: failureTimes.length,
    requests,
    bound: Math.ceil(RATE * (failingFrom.weights.canary / 100) * (detectMs / 1_000)),
  };
}

const stats = (values: readonly number[]): string => {
  const sorted = [...values].sort((a, b) => a - b);
  return `median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`;
};

async function detection(): Promise<boolean> {
  const failedRuns: FailedRun[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const { state, failureTimes, requests } = await rollout(FAILING_IMAGE);
    const figures = failedRunFigures(state, failureTimes, requests);
    failedRuns.push(figures);
    console.log(
      `failed rollout ${run}/${RUNS}: canary failing -> all traffic verified on stable in ${figures.detectMs} ms ` +
        `(${figures.fromFirstFailingMeasurementMs} ms after the first failing measurement); ` +
        `failed requests ${figures.failed}/${figures.requests} (${((100 * figures.failed) / figures.requests).toFixed(2)} %), bound ${figures.bound}`,
    );
  }
  const healthy = await rollout("sample-app:2.0.0");
  console.log(`healthy rollout: ${healthy.state.phase}, failed requests ${healthy.failed}/${healthy.requests}`);

  const detectTarget = INTERVAL_MS + 2_000;
  const fromMeasurement = failedRuns.map((run) => run.fromFirstFailingMeasurementMs);
  const checks = [
    [`rollback verified <= interval + 2 s (${detectTarget} ms) after the first failing measurement`, Math.max(...fromMeasurement) <= detectTarget],
    ["zero failed requests in a healthy rollout", healthy.failed === 0 && healthy.state.phase === "promoted"],
    ["failed requests <= canary weight x rate x detection window", failedRuns.every((run) => run.failed <= run.bound)],
  ] as const;
  console.log(`\nsummary over ${RUNS} failed rollouts (${FAILING_IMAGE}, ${RATE} req/s, interval ${INTERVAL_MS} ms, canary 10 %):`);
  console.log(`  canary failing -> verified on stable: ${stats(failedRuns.map((run) => run.detectMs))}`);
  console.log(`  first failing measurement -> verified on stable: ${stats(fromMeasurement)}`);
  const failedShare = failedRuns.reduce((sum, run) => sum + run.failed, 0) / failedRuns.reduce((sum, run) => sum + run.requests, 0);
  console.log(`  failed share during failed rollouts: ${(100 * failedShare).toFixed(2)} % of requests`);
  console.log(`  healthy rollout: ${healthy.failed} failed of ${healthy.requests}`);
  for (const [name, ok] of checks) console.log(`  ${ok ? "PASS" : "MISS"} ${name}`);
  return checks.every(([, ok]) => ok);
}

async function faultTable(): Promise<boolean> {
  const rows: FaultRow[] = [];
  for (const entry of ["npm", "bin"] as const) rows.push(await sigtermRow(bench, store, entry));
  rows.push(await sigkillMidShiftRow(bench, store));
  rows.push(await routerLostRow(bench, store));
  rows.push(await concurrentStartRow(path.resolve("."), store));
  printFaultTable(rows);
  return rows.every((row) => row.target?.met !== false);
}

try {
  const detected = FAULTS === "only" ? true : await detection();
  const faults = FAULTS === "skip" ? true : await faultTable();
  if (!detected || !faults) process.exitCode = 1;
} finally {
  await bench.stop();
}

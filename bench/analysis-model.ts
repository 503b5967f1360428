// The canary analysis's decision rule under binomial traffic, without processes: the same evaluateMetrics the
// engine uses, windows of fixed size, failures drawn with a seeded generator. It gives the false-rollback and
// missed-failure rates quoted in docs/rollout.md ("Statistics"); bench/rollout-analysis.ts prints it first.
import { seededRandom } from "../examples/app/server.ts";
import { evaluateMetrics, verdictOf } from "../rollout/engine/evaluate.ts";
import { DEFAULT_THRESHOLDS } from "../rollout/engine/plan.ts";
import type { AnalysisRecord, AnalysisThresholds } from "../rollout/engine/model.ts";

export interface ModelPlan {
  readonly steps: readonly number[];
  readonly bakeMs: number;
  readonly maxBakeMs: number;
  readonly intervalMs: number;
  /** Requests per second over both versions. */
  readonly ratePerSecond: number;
  readonly thresholds?: AnalysisThresholds;
}

export interface ModelOutcome {
  readonly promoted: number;
  readonly rolledBack: number;
  /** Stopped for inconclusive evidence at --max-bake (a failure with --non-interactive, a pause otherwise). */
  readonly inconclusive: number;
  readonly paused: number;
  readonly runs: number;
}

function binomial(n: number, p: number, random: () => number): number {
  let failures = 0;
  for (let i = 0; i < n; i++) if (random() < p) failures++;
  return failures;
}

/** One rollout with failure, consecutive and budget limits at 0 (the defaults): the first failure rolls back. */
function simulateOne(plan: ModelPlan, canaryRate: number, stableRate: number, random: () => number): "promoted" | "rolledBack" | "inconclusive" | "paused" {
  const history: AnalysisRecord[] = [];
  const thresholds = plan.thresholds ?? DEFAULT_THRESHOLDS;
  for (const [step, weight] of plan.steps.entries()) {
    for (let elapsed = plan.intervalMs; ; elapsed += plan.intervalMs) {
      const total = Math.round((plan.ratePerSecond * plan.intervalMs) / 1000);
      const canaryRequests = Math.round((total * weight) / 100);
      const stableRequests = total - canaryRequests;
      const canary = { requests: canaryRequests, errors5xx: binomial(canaryRequests, canaryRate, random), p95Ms: 20, unhealthyTargets: 0, healthyTargets: 1 };
      const stable = { requests: stableRequests, errors5xx: binomial(stableRequests, stableRate, random), p95Ms: 20, unhealthyTargets: 0, healthyTargets: 1 };
      const measurements = evaluateMetrics({ canary, stable, history, thresholds, baseline: true });
      const verdict = verdictOf(measurements);
      history.push({ at: history.length, step, canaryWeight: weight, verdict, measurements });
      if (verdict === "fail") return "rolledBack";
      if (measurements.some((measurement) => measurement.attribution === "both-versions")) return "paused";
      if (verdict === "pass" && elapsed >= plan.bakeMs) break;
      if (elapsed >= plan.maxBakeMs) return "inconclusive";
    }
  }
  return "promoted";
}

export function simulate(plan: ModelPlan, canaryRate: number, stableRate: number, runs: number, seed = 1): ModelOutcome {
  const random = seededRandom(seed);
  const counts = { promoted: 0, rolledBack: 0, inconclusive: 0, paused: 0 };
  for (let run = 0; run < runs; run++) counts[simulateOne(plan, canaryRate, stableRate, random)] += 1;
  return { ...counts, runs };
}

/** Markdown rows: outcome shares per true canary rate. */
export function modelTable(plan: ModelPlan, rates: readonly number[], runs: number, stableRate = 0): string[] {
  const pct = (part: number) => `${((100 * part) / runs).toFixed(1)}%`;
  return [
    "| true canary 5xx rate | promoted | rolled back (failed) | inconclusive at --max-bake | paused (both failing) |",
    "|---|---|---|---|---|",
    ...rates.map((rate) => {
      const outcome = simulate(plan, rate, stableRate, runs);
      return `| ${(rate * 100).toFixed(2)}% | ${pct(outcome.promoted)} | ${pct(outcome.rolledBack)} | ${pct(outcome.inconclusive)} | ${pct(outcome.paused)} |`;
    }),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // The figures quoted in docs/rollout.md ("Rates are judged statistically").
  const runs = Number(process.env.MODEL_RUNS ?? 2000);
  const rates = [0, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.05];
  const bench: ModelPlan = { steps: [50, 100], bakeMs: 2_000, maxBakeMs: 15_000, intervalMs: 1_000, ratePerSecond: 600 };
  console.log(`bench plan (50,100, bake 2 s, max bake 15 s, interval 1 s, 600 req/s), ${runs} runs per rate, stable at 0 %:`);
  for (const line of modelTable(bench, rates, runs)) console.log(line);
  const defaults = (ratePerSecond: number): ModelPlan => ({ steps: [10, 50, 100], bakeMs: 60_000, maxBakeMs: 180_000, intervalMs: 10_000, ratePerSecond });
  for (const ratePerSecond of [20, 50, 200]) {
    console.log(`\ndefault plan (10,50,100, bake 60 s, max bake 180 s, interval 10 s) at ${ratePerSecond} req/s, ${runs} runs per rate, stable at 0 %:`);
    for (const line of modelTable(defaults(ratePerSecond), rates, runs)) console.log(line);
  }
  console.log(`\ndefault plan at 200 req/s, stable at 0.5 %:`);
  for (const line of modelTable(defaults(200), [0.005, 0.01, 0.02], runs, 0.005)) console.log(line);
}

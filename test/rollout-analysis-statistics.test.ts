import assert from "node:assert/strict";
import fc from "fast-check";
import { seededRandom } from "../examples/app/server.ts";
import { evaluateMetrics, verdictOf } from "../rollout/engine/evaluate.ts";
import { DEFAULT_THRESHOLDS } from "../rollout/engine/plan.ts";
import type { AnalysisRecord, Measurement, VersionMetricsSample } from "../rollout/engine/model.ts";
import { differenceBounds, normalQuantile, wilsonBounds } from "../rollout/engine/statistics.ts";

const close = (actual: number, expected: number, digits = 4) => assert.equal(actual.toFixed(digits), expected.toFixed(digits), `${actual} != ${expected}`);
const counts = fc.integer({ min: 1, max: 100_000 }).chain((trials) => fc.record({ failures: fc.integer({ min: 0, max: trials }), trials: fc.constant(trials) }));
const confidence = fc.double({ min: 0.5001, max: 0.9999, noNaN: true });

describe("rollout analysis statistics: known answers", () => {
  it("normal quantiles match the tables", () => {
    close(normalQuantile(0.95), 1.644854, 6);
    close(normalQuantile(0.975), 1.959964, 6);
    close(normalQuantile(0.99), 2.326348, 6);
    close(normalQuantile(0.001), -3.090232, 6);
    close(normalQuantile(0.5), 0, 9);
  });

  it("Wilson score intervals match Newcombe (1998), table I (95 % two-sided = 97.5 % one-sided bounds)", () => {
    for (const [failures, trials, lower, upper] of [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ] as const) {
      const bounds = wilsonBounds({ failures, trials }, 0.975);
      close(bounds.lower, lower);
      close(bounds.upper, upper);
    }
  });

  it("hybrid score intervals for a difference match Newcombe (1998, difference paper), method 10", () => {
    for (const [a, n, b, m, lower, upper] of [
      [56, 70, 48, 80, 0.0524, 0.3339],
      [9, 10, 3, 10, 0.1705, 0.809],
      [6, 7, 2, 7, 0.0582, 0.8062],
      [5, 56, 0, 29, -0.0381, 0.1926],
    ] as const) {
      const bounds = differenceBounds({ failures: a, trials: n }, { failures: b, trials: m }, 0.975);
      close(bounds.lower, lower);
      close(bounds.upper, upper);
    }
  });

  it("the issue's example: one 5xx in 40 requests (2.5 %) proves nothing about a 1 % limit", () => {
    const bounds = wilsonBounds({ failures: 1, trials: 40 }, 0.99);
    assert.ok(bounds.lower < 0.01, `lower bound ${bounds.lower}`);
    const measurements = evaluateMetrics({ canary: { requests: 40, errors5xx: 1, p95Ms: 10, unhealthyTargets: 0, healthyTargets: 1 }, history: [], thresholds: DEFAULT_THRESHOLDS, baseline: false });
    assert.equal(measurements.find((m) => m.metric === "5xx-rate")?.status, "inconclusive");
  });
});

describe("rollout analysis statistics: properties", () => {
  it("Wilson bounds lie in [0, 1] around the observed rate", () => {
    fc.assert(
      fc.property(counts, confidence, (c, conf) => {
        const { lower, upper } = wilsonBounds(c, conf);
        const rate = c.failures / c.trials;
        return lower >= 0 && upper <= 1 && lower <= rate + 1e-12 && rate <= upper + 1e-12;
      }),
    );
  });

  it("more failures in the same trials raise both bounds; more confidence widens them", () => {
    fc.assert(
      fc.property(counts, confidence, confidence, (c, a, b) => {
        const [low, high] = a < b ? [a, b] : [b, a];
        const more = { failures: Math.min(c.trials, c.failures + 1), trials: c.trials };
        const base = wilsonBounds(c, low);
        const raised = wilsonBounds(more, low);
        const wider = wilsonBounds(c, high);
        return raised.lower >= base.lower - 1e-12 && raised.upper >= base.upper - 1e-12 && wider.lower <= base.lower + 1e-12 && wider.upper >= base.upper - 1e-12;
      }),
    );
  });

  it("the same rate over more requests narrows the bounds (evidence accumulates)", () => {
    fc.assert(
      fc.property(counts, fc.integer({ min: 2, max: 20 }), confidence, (c, factor, conf) => {
        const small = wilsonBounds(c, conf);
        const large = wilsonBounds({ failures: c.failures * factor, trials: c.trials * factor }, conf);
        return large.upper - large.lower <= small.upper - small.lower + 1e-12;
      }),
    );
  });

  it("difference bounds contain the observed difference and are antisymmetric", () => {
    fc.assert(
      fc.property(counts, counts, confidence, (a, b, conf) => {
        const ab = differenceBounds(a, b, conf);
        const ba = differenceBounds(b, a, conf);
        const difference = a.failures / a.trials - b.failures / b.trials;
        return ab.lower <= difference + 1e-12 && difference <= ab.upper + 1e-12 && Math.abs(ab.lower + ba.upper) < 1e-9 && ab.lower >= -1 && ab.upper <= 1;
      }),
    );
  });

  it("a one-sided bound covers the true rate about as often as stated (simulated, p = 1 %, n = 2,000)", () => {
    // Coverage of the 95 % upper bound: P(upper >= p) over seeded binomial draws; Wilson is close to nominal here.
    const random = seededRandom(7);
    let covered = 0;
    const runs = 2_000;
    for (let run = 0; run < runs; run++) {
      let failures = 0;
      for (let i = 0; i < 2_000; i++) if (random() < 0.01) failures++;
      if (wilsonBounds({ failures, trials: 2_000 }, 0.95).upper >= 0.01) covered++;
    }
    assert.ok(covered / runs > 0.93 && covered / runs < 0.98, `coverage ${covered / runs}`);
  });

  it("the rate verdict never fails below the minimum failed requests and never passes above the limit's upper bound", () => {
    fc.assert(
      fc.property(counts, (c) => {
        const sample: VersionMetricsSample = { requests: c.trials, errors5xx: c.failures, p95Ms: 10, unhealthyTargets: 0, healthyTargets: 1 };
        const status = evaluateMetrics({ canary: sample, history: [], thresholds: DEFAULT_THRESHOLDS, baseline: false }).find((m) => m.metric === "5xx-rate")?.status;
        if (c.failures < (DEFAULT_THRESHOLDS.minFailures ?? 5) && status === "fail") return false;
        if (status === "pass" && wilsonBounds(c, 0.95).upper > DEFAULT_THRESHOLDS.max5xxRate) return false;
        if (status === "fail" && wilsonBounds(c, 0.99).lower <= DEFAULT_THRESHOLDS.max5xxRate) return false;
        return true;
      }),
    );
  });
});

describe("rollout analysis: evidence over windows and the baseline", () => {
  const healthy = { p95Ms: 20, unhealthyTargets: 0, healthyTargets: 1 };
  const record = (measurements: Measurement[], at: number): AnalysisRecord => ({ at, step: 0, canaryWeight: 10, verdict: verdictOf(measurements), measurements });
  const rateOf = (measurements: readonly Measurement[]) => measurements.find((m) => m.metric === "5xx-rate");

  it("accumulates rate evidence over windows: inconclusive alone, a pass together", () => {
    const history: AnalysisRecord[] = [];
    let last: Measurement[] = [];
    for (let window = 0; window < 6; window++) {
      last = evaluateMetrics({ canary: { requests: 100, errors5xx: 0, ...healthy }, stable: { requests: 900, errors5xx: 0, ...healthy }, history, thresholds: DEFAULT_THRESHOLDS, baseline: true });
      history.push(record(last, window));
      // 0 of 100 has a 95 % upper bound of 2.6 %: one window cannot show the canary under 1 %.
      if (window === 0) assert.equal(rateOf(last)?.status, "inconclusive");
    }
    assert.equal(rateOf(last)?.status, "pass");
    assert.deepEqual(rateOf(last)?.evidence?.accumulated?.canary.trials, 600);
    assert.equal(rateOf(last)?.evidence?.accumulated?.windows, 6);
  });

  it("counts windows that overlap (CloudWatch minutes) once", () => {
    const covers = { start: 0, end: 60_000 };
    const first = evaluateMetrics({ canary: { requests: 500, errors5xx: 0, ...healthy, covers }, history: [], thresholds: DEFAULT_THRESHOLDS, baseline: false });
    const again = evaluateMetrics({ canary: { requests: 500, errors5xx: 0, ...healthy, covers: { start: 0, end: 60_000 } }, history: [record(first, 0)], thresholds: DEFAULT_THRESHOLDS, baseline: false });
    assert.equal(rateOf(again)?.evidence?.accumulated?.canary.trials, 500);
    const next = evaluateMetrics({ canary: { requests: 500, errors5xx: 0, ...healthy, covers: { start: 60_000, end: 120_000 } }, history: [record(first, 0), record(again, 1)], thresholds: DEFAULT_THRESHOLDS, baseline: false });
    assert.equal(rateOf(next)?.evidence?.accumulated?.canary.trials, 1_000);
  });

  it("fails a canary clearly worse than stable although under the absolute limit (p95 +300 ms, confirmed)", () => {
    const canary = { requests: 500, errors5xx: 0, p95Ms: 320, unhealthyTargets: 0, healthyTargets: 1 };
    const stable = { requests: 4_500, errors5xx: 0, p95Ms: 15, unhealthyTargets: 0, healthyTargets: 2 };
    const once = evaluateMetrics({ canary, stable, history: [], thresholds: DEFAULT_THRESHOLDS, baseline: true });
    const twice = evaluateMetrics({ canary, stable, history: [record(once, 0)], thresholds: DEFAULT_THRESHOLDS, baseline: true });
    const p95 = twice.find((m) => m.metric === "p95-ms");
    assert.equal(p95?.status, "fail");
    assert.equal(p95?.evidence?.rule, "worse-than-stable");
    assert.match(p95?.message ?? "", /320 ms is worse than stable 15 ms: above 215 ms .* although under the limit 500 ms/);
    const off = evaluateMetrics({ canary, stable, history: [record(once, 0)], thresholds: DEFAULT_THRESHOLDS, baseline: false });
    assert.equal(off.find((m) => m.metric === "p95-ms")?.status, "pass", "--no-baseline judges absolute limits only");
  });

  it("fails a 5xx rate worse than stable's by the margin and delta, under the absolute limit", () => {
    const thresholds = { ...DEFAULT_THRESHOLDS, max5xxRate: 0.05 };
    const measurements = evaluateMetrics({ canary: { requests: 5_000, errors5xx: 150, ...healthy }, stable: { requests: 45_000, errors5xx: 450, ...healthy }, history: [], thresholds, baseline: true });
    const rate = rateOf(measurements);
    assert.equal(rate?.status, "fail");
    assert.equal(rate?.evidence?.rule, "worse-than-stable");
    assert.ok((rate?.evidence?.difference?.lower ?? 0) > 0.01);
  });

  it("reports both versions failing as such, not as the canary's failure; a canary much worse still fails", () => {
    const both = evaluateMetrics({ canary: { requests: 1_000, errors5xx: 50, ...healthy }, stable: { requests: 9_000, errors5xx: 450, ...healthy }, history: [], thresholds: DEFAULT_THRESHOLDS, baseline: true });
    const rate = rateOf(both);
    assert.equal(rate?.status, "inconclusive");
    assert.equal(rate?.attribution, "both-versions");
    assert.match(rate?.message ?? "", /both versions fail the 5xx rate limit 1\.00%/);
    const worse = evaluateMetrics({ canary: { requests: 1_000, errors5xx: 300, ...healthy }, stable: { requests: 9_000, errors5xx: 450, ...healthy }, history: [], thresholds: DEFAULT_THRESHOLDS, baseline: true });
    assert.equal(rateOf(worse)?.status, "fail");
  });
});

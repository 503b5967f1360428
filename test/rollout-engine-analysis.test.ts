import assert from "node:assert/strict";
import { evaluateAlarms, evaluateMetrics, evaluateProbe, verdictOf } from "../rollout/engine/evaluate.ts";
import { settingValue } from "../rollout/engine/metrics.ts";
import { buildPlan, DEFAULT_THRESHOLDS, estimatedDurationMs, parseDuration, withPlanDefaults } from "../rollout/engine/plan.ts";
import type { HttpResponseSample, Measurement, RolloutPlan, VersionMetricsSample } from "../rollout/engine/model.ts";

const statusOf = (measurements: readonly Measurement[], metric: string) => measurements.find((m) => m.metric === metric)?.status;

function response(headers: Record<string, string[]>, status = 200): HttpResponseSample {
  return { url: "http://127.0.0.1/health", status, headers, body: status === 200 ? "ok" : "boom", durationMs: 3 };
}

const SECURE = { "strict-transport-security": ["max-age=31536000; includeSubDomains"] };

describe("rollout analysis evaluators", () => {
  const judge = (canary: VersionMetricsSample, stable?: VersionMetricsSample) => evaluateMetrics({ canary, ...(stable ? { stable } : {}), history: [], thresholds: DEFAULT_THRESHOLDS, baseline: stable !== undefined });

  it("judges the 5xx rate by its Wilson bounds against the limit (default 1 %), not by the raw ratio", () => {
    // 10 of 10,000 (0.1 %): the upper bound is far below 1 %.
    const healthy = judge({ requests: 10_000, errors5xx: 10, p95Ms: 120, unhealthyTargets: 0, healthyTargets: 2 });
    assert.equal(statusOf(healthy, "5xx-rate"), "pass");
    assert.equal(verdictOf(healthy), "pass");
    // 11 of 1,000 reads as 1.1 % but its 95 % lower bound (0.68 %) is under the limit: no proof either way.
    assert.equal(statusOf(judge({ requests: 1_000, errors5xx: 11, p95Ms: 120, unhealthyTargets: 0, healthyTargets: 2 }), "5xx-rate"), "inconclusive");
    const failing = judge({ requests: 1_000, errors5xx: 30, p95Ms: 120, unhealthyTargets: 0, healthyTargets: 2 });
    assert.equal(statusOf(failing, "5xx-rate"), "fail");
    assert.match(failing[0]?.message ?? "", /3\.00% \(30\/1000, this window; 99% lower bound 1\.98%, 95% upper bound 4\.02%\): lower bound above the limit 1\.00% with 30 >= 5 failed requests/);
  });

  it("judges p95 latency (default 500 ms) once a second window confirms it, and unhealthy targets at once", () => {
    const once = judge({ requests: 100, errors5xx: 0, p95Ms: 501, unhealthyTargets: 1, healthyTargets: 1 });
    assert.equal(statusOf(once, "p95-ms"), "inconclusive");
    assert.match(once.find((m) => m.metric === "p95-ms")?.message ?? "", /in this window only.*fails if the next window confirms it/);
    assert.equal(statusOf(once, "unhealthy-targets"), "fail");
    const history = [{ at: 0, step: 0, canaryWeight: 10, verdict: "inconclusive" as const, measurements: once }];
    const slow = evaluateMetrics({ canary: { requests: 100, errors5xx: 0, p95Ms: 620, unhealthyTargets: 0, healthyTargets: 1 }, history, thresholds: DEFAULT_THRESHOLDS, baseline: false });
    assert.equal(statusOf(slow, "p95-ms"), "fail");
    const noneHealthy = judge({ requests: 100, errors5xx: 0, p95Ms: 20, unhealthyTargets: 0, healthyTargets: 0 });
    assert.equal(statusOf(noneHealthy, "unhealthy-targets"), "fail");
  });

  it("calls too little traffic inconclusive, but still fails a crashing canary with enough failed requests", () => {
    const quiet = judge({ requests: 2, errors5xx: 0, p95Ms: 10, unhealthyTargets: 0 });
    assert.equal(verdictOf(quiet), "inconclusive");
    const crashing = judge({ requests: 6, errors5xx: 6, unhealthyTargets: 0 });
    assert.equal(verdictOf(crashing), "fail");
    const unknown = judge({ requests: 100, errors5xx: 0 });
    assert.equal(statusOf(unknown, "p95-ms"), "inconclusive");
    assert.equal(statusOf(unknown, "unhealthy-targets"), "inconclusive");
  });

  it("passes a healthy probe with HSTS and a single explicit CORS origin", () => {
    const measurements = evaluateProbe("/health", response({ ...SECURE, "access-control-allow-origin": ["https://app.example.com"] }), "canary");
    assert.deepEqual(measurements.map((m) => m.status), ["pass", "pass", "pass"]);
  });

  it("fails non-2xx, no answer, missing HSTS, duplicate and wildcard CORS", () => {
    assert.equal(evaluateProbe("/health/ready", response(SECURE, 503), "canary")[0]?.status, "fail");
    const refused = evaluateProbe("/health", { url: "x", headers: {}, body: "", durationMs: 1, error: "ECONNREFUSED" }, "canary");
    assert.deepEqual(refused.map((m) => [m.status, m.message]), [["fail", "canary GET /health: no response (ECONNREFUSED)"]]);
    assert.equal(statusOf(evaluateProbe("/health", response({}), "canary"), "hsts /health"), "fail");
    assert.equal(statusOf(evaluateProbe("/health", response({ "strict-transport-security": ["max-age=0"] }), "canary"), "hsts /health"), "fail");
    const duplicated = evaluateProbe("/health", response({ ...SECURE, "access-control-allow-origin": ["https://a.example", "https://a.example"] }), "canary");
    assert.match(duplicated.find((m) => m.metric === "cors /health")?.message ?? "", /duplicated/);
    const listed = evaluateProbe("/health", response({ ...SECURE, "access-control-allow-origin": ["https://a.example, https://b.example"] }), "canary");
    assert.equal(statusOf(listed, "cors /health"), "fail");
    const wildcard = evaluateProbe("/health", response({ ...SECURE, "access-control-allow-origin": ["*"] }), "canary");
    assert.match(wildcard.find((m) => m.metric === "cors /health")?.message ?? "", /wildcard/);
  });

  it("fails on any alarm in ALARM and not on missing data", () => {
    const measurements = evaluateAlarms([
      { name: "api-5xx", state: "ALARM", reason: "threshold crossed" },
      { name: "db-cpu", state: "INSUFFICIENT_DATA" },
    ]);
    assert.deepEqual(measurements.map((m) => m.status), ["fail", "pass"]);
    assert.equal(verdictOf(evaluateAlarms([])), "pass");
  });

  it("orders verdicts fail > error > inconclusive > pass; nothing measured is no evidence", () => {
    const m = (status: Measurement["status"]): Measurement => ({ analyser: "a", metric: "m", status, message: status });
    assert.equal(verdictOf([m("pass"), m("inconclusive"), m("error"), m("fail")]), "fail");
    assert.equal(verdictOf([m("pass"), m("inconclusive"), m("error")]), "error");
    assert.equal(verdictOf([m("pass"), m("inconclusive")]), "inconclusive");
    assert.equal(verdictOf([]), "inconclusive");
  });
});

describe("rollout plan", () => {
  it("defaults to 10 -> 50 -> 100 with thresholds 1 % 5xx and 500 ms p95", () => {
    const result = buildPlan({});
    assert.ok(result.ok);
    assert.deepEqual(result.plan.steps, [10, 50, 100]);
    assert.equal(result.plan.thresholds.max5xxRate, 0.01);
    assert.equal(result.plan.thresholds.maxP95Ms, 500);
    assert.equal(result.plan.inconclusivePolicy, "pause");
    assert.equal(estimatedDurationMs(result.plan), 3 * result.plan.bakeMs);
  });

  it("parses operator input", () => {
    const result = buildPlan({ steps: "5,25,100", bakeMs: "2m", intervalMs: "15s", thresholds: { max5xxRate: "0.5", confidence: "99" }, inconclusivePolicy: "fail", hooks: ["migrate=python manage.py migrate --noinput"] });
    assert.ok(result.ok);
    assert.deepEqual(result.plan.steps, [5, 25, 100]);
    assert.equal(result.plan.bakeMs, 120_000);
    assert.equal(result.plan.thresholds.max5xxRate, 0.005);
    assert.equal(result.plan.thresholds.confidence, 0.99);
    assert.equal(result.plan.maxBakeMs, 360_000, "--max-bake defaults to 3 x --bake");
    assert.equal(result.plan.baseline, true);
    assert.equal(result.plan.inconclusivePolicy, "fail");
    assert.deepEqual(result.plan.hooks.map((hook) => [hook.name, hook.command]), [["migrate", "python manage.py migrate --noinput"]]);
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("1.5s"), 1_500);
    assert.equal(parseDuration("soon"), undefined);
  });

  it("gives a plan stored before the statistical analysis its old meaning (no baseline, bake = max bake)", () => {
    const result = buildPlan({ failureLimit: "2", bakeMs: "30s" });
    assert.ok(result.ok);
    const { rolloutFailureLimit: _r, consecutiveFailureLimit: _c, maxBakeMs: _m, baseline: _b, ...stored } = result.plan;
    const resumed = withPlanDefaults(stored as RolloutPlan);
    assert.deepEqual([resumed.rolloutFailureLimit, resumed.consecutiveFailureLimit, resumed.maxBakeMs, resumed.baseline], [2, 2, 30_000, false]);
    assert.equal(settingValue({ max5xxRate: 0.01, maxP95Ms: 500, maxUnhealthyTargets: 0, minRequests: 5 }, "failConfidence"), 0.99);
  });

  it("resumes a plan stored with the old name of the approval before each step (manualGate) with the same meaning", () => {
    const result = buildPlan({});
    assert.ok(result.ok);
    const { approvalBeforeEachStep: _a, ...rest } = result.plan;
    assert.equal(withPlanDefaults({ ...rest, manualGate: true } as unknown as RolloutPlan).approvalBeforeEachStep, true);
    assert.equal(withPlanDefaults({ ...rest, manualGate: false } as unknown as RolloutPlan).approvalBeforeEachStep, false);
    assert.equal("manualGate" in withPlanDefaults({ ...rest, manualGate: true } as unknown as RolloutPlan), false);
  });

  it("reports every bad field at once by path, with the value and the fix", () => {
    const result = buildPlan({ steps: "50,10,120", bakeMs: "5s", intervalMs: "10s", failureLimit: "-1", thresholds: { maxP95Ms: "fast", confidence: "50", maxQueue: "3" }, hooks: ["nocommand"] });
    assert.ok(!result.ok);
    const fields = result.issues.map((issue) => `${issue.path}: ${issue.problem}`);
    assert.deepEqual(fields, [
      "steps: has a weight outside 1-100",
      "steps: is not strictly increasing",
      "steps: does not end at 100 (the canary must carry all traffic before it is promoted)",
      "bakeMs: is shorter than intervalMs (10s), so a step would never be analysed",
      "failureLimit: is not an integer >= 0",
      "thresholds.maxQueue: is not a metric limit or analysis setting",
      "thresholds.maxP95Ms: is not a number >= 1",
      "thresholds.confidence: is not above 50",
      "hooks: is not name=command",
    ]);
    assert.ok(result.issues.every((issue) => issue.fix.length > 0 && issue.value.length > 0));
  });
});

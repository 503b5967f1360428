import assert from "node:assert/strict";
import fc from "fast-check";
import { analysersFor } from "../rollout/engine/analysers.ts";
import { newRolloutState } from "../rollout/engine/engine.ts";
import { exitCodeForPhase } from "../rollout/cli/exit-codes.ts";
import { IllegalTransitionError, transition } from "../rollout/engine/machine.ts";
import { buildPlan, DEFAULT_PLAN } from "../rollout/engine/plan.ts";
import type { MeasurementStatus, RolloutState, VersionMetricsSample } from "../rollout/engine/model.ts";
import type { AnalysisContext, MetricsSource } from "../rollout/engine/ports.ts";
import { operatorRequest, TEST_HOLDER } from "./support/rollout-fakes.ts";
import { canaryWeights, harness, NEW, OLD } from "./support/rollout-harness.ts";

describe("rollout engine", () => {
  it("promotes a healthy canary through 10 -> 50 -> 100 and ends with all traffic on the promoted stable", async () => {
    const h = harness();
    const final = await h.run();
    assert.equal(final.phase, "promoted");
    assert.equal(exitCodeForPhase(final.phase), 0);
    // The first change puts the canary at 0 (verified) before it is deployed.
    assert.deepEqual(canaryWeights(h.router), [0, 10, 50, 100, 0]);
    assert.deepEqual(h.router.weights, { stable: 100, canary: 0 });
    assert.deepEqual(h.deployer.calls, [`deployCanary ${NEW}`, `promote ${NEW}`, "resetCanary"]);
    assert.equal(h.deployer.stable, NEW);
    // 30 s bake / 10 s interval = 3 analyses per step.
    assert.equal(h.analyser.contexts.length, 9);
    assert.deepEqual(final.transitions.map((t) => t.to).filter((to, i, all) => all.indexOf(to) === i), ["deploying", "pre-traffic-hooks", "shifting", "baking", "analysing", "promoting", "promoted"]);
    assert.deepEqual(h.store.states.get("dev"), final);
  });

  it("rolls back on the first failed analysis with the failing measurement as the reason", async () => {
    const h = harness({ verdicts: ["pass", "pass", "pass", "pass", "fail"] });
    const final = await h.run();
    assert.equal(final.phase, "rolled-back");
    assert.equal(exitCodeForPhase(final.phase), 1);
    assert.match(final.reason ?? "", /analysis failed at step 2 \(canary 50%\) \(1 failed analyses in this step, limit 0; 1 in the rollout, limit 0; 1 in a row, limit 0\): scripted fail #5/);
    assert.deepEqual(canaryWeights(h.router), [0, 10, 50, 0]);
    assert.deepEqual(h.router.weights, { stable: 100, canary: 0 });
    assert.equal(h.deployer.stable, OLD);
    assert.deepEqual(h.deployer.calls.at(-1), "resetCanary");
    const rollback = final.transitions.find((t) => t.to === "rolling-back");
    assert.ok(rollback?.reason);
  });

  it("tolerates a blip within the per-step, rollout and in-a-row limits", async () => {
    const h = harness({ plan: { failureLimit: 1, rolloutFailureLimit: 1, consecutiveFailureLimit: 1 }, verdicts: ["pass", "fail", "pass"] });
    const final = await h.run();
    assert.equal(final.phase, "promoted");
    assert.equal(final.totalFailures, 1);
  });

  it("rolls a flapping canary back on the rollout's failure budget although each step stays within its own limit", async () => {
    // One failure per step is within --failure-limit 1; the rollout-wide budget (2) is spent by step 3.
    const h = harness({ plan: { failureLimit: 1, rolloutFailureLimit: 2, consecutiveFailureLimit: 1 }, verdicts: ["fail", "pass", "pass", "fail", "pass", "pass", "fail"] });
    const final = await h.run();
    assert.equal(final.phase, "rolled-back");
    assert.match(final.reason ?? "", /at step 3 .*3 in the rollout, limit 2/);
  });

  it("rolls back on failures in a row across a step boundary", async () => {
    const h = harness({ plan: { failureLimit: 1, rolloutFailureLimit: 5, consecutiveFailureLimit: 1 }, verdicts: ["pass", "pass", "fail", "pass", "fail", "fail"] });
    const final = await h.run();
    assert.equal(final.phase, "rolled-back");
    assert.match(final.reason ?? "", /2 in a row, limit 1/);
  });

  it("does not end a step on a failing analysis: the step bakes on until an analysis passes", async () => {
    // Bake 30 s: windows 1-2 pass, window 3 fails (within budget), window 4 passes and ends the step.
    const h = harness({ plan: { failureLimit: 1, rolloutFailureLimit: 1, consecutiveFailureLimit: 1 }, verdicts: ["pass", "pass", "fail", "pass"] });
    const final = await h.run();
    assert.equal(final.phase, "promoted");
    assert.equal(final.analyses.filter((a) => a.step === 0).length, 4);
  });

  it("keeps baking while the evidence is inconclusive and moves on once it passes", async () => {
    const h = harness({ verdicts: ["inconclusive", "inconclusive", "inconclusive", "inconclusive", "pass"] });
    const final = await h.run();
    assert.equal(final.phase, "promoted");
    assert.ok(!final.transitions.some((t) => t.to === "paused"));
    assert.equal(final.analyses.filter((a) => a.step === 0).length, 5);
  });

  it("treats measurement errors as errors, rolling back after the consecutive-error limit", async () => {
    const h = harness({ plan: { consecutiveErrorLimit: 2 }, verdicts: ["pass", "error", "error", "pass", "error", "error", "error"] });
    const final = await h.run();
    assert.equal(final.phase, "rolled-back");
    assert.match(final.reason ?? "", /could not be taken 3 times in a row/);
  });

  it("fails evidence still inconclusive at --max-bake in non-interactive runs", async () => {
    const h = harness({ plan: { inconclusivePolicy: "fail" }, after: "inconclusive" });
    const final = await h.run();
    assert.equal(final.phase, "rolled-back");
    assert.match(final.reason ?? "", /still inconclusive after 60 s in a non-interactive run/);
    assert.equal(final.analyses.length, 6);
  });

  it("pauses on evidence still inconclusive at --max-bake interactively, exits 3, and a resume continues from the same step", async () => {
    const h = harness({ verdicts: ["pass", "pass", "pass", ...Array<MeasurementStatus>(6).fill("inconclusive")] });
    const paused = await h.run();
    assert.equal(paused.phase, "paused");
    assert.equal(exitCodeForPhase(paused.phase), 3);
    assert.match(paused.reason ?? "", /inconclusive analysis at step 2/);
    assert.deepEqual(h.router.weights, { stable: 50, canary: 50 });
    const final = await h.run(paused, { approved: true });
    assert.equal(final.phase, "promoted");
    assert.equal(final.reason, undefined, "the pause's reason does not describe the promotion");
    // Resume re-applies (and verifies) step 2's weights rather than starting over.
    assert.deepEqual(canaryWeights(h.router), [0, 10, 50, 50, 100, 0]);
  });

  it("waits in-process while paused in wait mode until an operator resumes", async () => {
    const h = harness({ verdicts: Array<MeasurementStatus>(6).fill("inconclusive") });
    h.clock.at(h.clock.now() + 120_000, () => void h.store.request("dev", operatorRequest("resume", "r1", h.clock.now(), "operator")));
    const final = await h.run(h.initial, { pauseMode: "wait" });
    assert.equal(final.phase, "promoted");
    assert.ok(final.transitions.some((t) => t.to === "paused"));
  });

  it("analyses again after a resume, even when the paused step's bake ran out meanwhile", async () => {
    const h = harness({ verdicts: Array<MeasurementStatus>(6).fill("inconclusive") });
    const resumeAt = h.clock.now() + 600_000;
    h.clock.at(resumeAt, () => void h.store.request("dev", operatorRequest("resume", "r1", h.clock.now(), "operator")));
    const final = await h.run(h.initial, { pauseMode: "wait" });
    assert.equal(final.phase, "promoted");
    const firstStep = final.analyses.filter((a) => a.step === 0);
    assert.equal(firstStep[0]?.verdict, "inconclusive");
    assert.ok(firstStep.some((a) => a.at >= resumeAt && a.verdict === "pass"), "no analysis of step 1 after the resume");
  });

  it("ends in a verified rollback (aborted) when a signal arrives mid-bake", async () => {
    const h = harness();
    const controller = new AbortController();
    h.clock.at(h.clock.now() + 45_000, () => controller.abort("SIGTERM"));
    const final = await h.run(h.initial, { signal: controller.signal });
    assert.equal(final.phase, "aborted");
    assert.match(final.reason ?? "", /interrupted: SIGTERM/);
    assert.deepEqual(h.router.weights, { stable: 100, canary: 0 });
    assert.equal(final.weightHistory.at(-1)?.verified, true);
  });

  it("aborts on an operator abort request and names who asked", async () => {
    const h = harness();
    h.clock.at(h.clock.now() + 15_000, () => void h.store.request("dev", operatorRequest("abort", "r1", h.clock.now(), "alice@laptop", "wrong image")));
    const final = await h.run();
    assert.equal(final.phase, "aborted");
    assert.equal(final.reason, "aborted by alice@laptop: wrong image");
    assert.deepEqual(h.router.weights, { stable: 100, canary: 0 });
  });

  it("skips the remaining steps on a promote request, passing through 100% before promoting", async () => {
    const h = harness();
    h.clock.at(h.clock.now() + 15_000, () => void h.store.request("dev", operatorRequest("promote", "r1", h.clock.now(), "bob")));
    const final = await h.run();
    assert.equal(final.phase, "promoted");
    assert.deepEqual(canaryWeights(h.router), [0, 10, 100, 0]);
  });

  it("waits for approval before each step until resumed", async () => {
    const h = harness({ plan: { approvalBeforeEachStep: true } });
    const gated = await h.run();
    assert.equal(gated.phase, "awaiting-approval");
    assert.deepEqual(canaryWeights(h.router), [0]);
    let state = gated;
    for (let approvals = 0; state.phase === "awaiting-approval" && approvals < 5; approvals += 1) state = await h.run(state, { approved: true });
    assert.equal(state.phase, "promoted");
    assert.equal(state.transitions.filter((t) => t.to === "awaiting-approval").length, 3);
  });

  it("rolls back before any traffic moves when a pre-traffic hook fails, with exit code and log location", async () => {
    const h = harness({
      plan: { hooks: [{ name: "migrate", command: "manage.py migrate", timeoutMs: 1_000 }] },
      hookOutcomes: { migrate: { ok: false, exitCode: 3, logLocation: "/tmp/migrate.log", message: "relation exists" } },
    });
    const final = await h.run();
    assert.equal(final.phase, "rolled-back");
    assert.match(final.reason ?? "", /pre-traffic hook migrate failed \(exit code 3\): relation exists, log: \/tmp\/migrate\.log/);
    assert.ok(canaryWeights(h.router).every((canary) => canary === 0));
    assert.equal(final.hookOutcomes[0]?.exitCode, 3);
  });

  it("rolls back when the canary cannot be deployed", async () => {
    const h = harness({ deployFailures: ["deployCanary"] });
    const final = await h.run();
    assert.equal(final.phase, "rolled-back");
    assert.match(final.reason ?? "", /deploying failed: canary app:2 did not become healthy/);
  });

  it("reads weights back until the router shows them (propagation lag, transient errors)", async () => {
    const h = harness({ router: { lagReads: 3, transientFailures: 2 } });
    const final = await h.run();
    assert.equal(final.phase, "promoted");
    assert.ok(final.weightHistory.every((record) => record.verified));
  });

  it("ends in rollback-failed, loudly and non-zero, when the router cannot be verified", async () => {
    const h = harness({ router: { broken: true } });
    const final = await h.run();
    assert.equal(final.phase, "rollback-failed");
    assert.notEqual(exitCodeForPhase(final.phase), 0);
    assert.match(final.reason ?? "", /ROLLBACK NOT VERIFIED/);
    assert.ok(h.reporter.events.some((event) => event.type === "log" && event.level === "error"));
  });

  it("still reports a rollback when resetting the canary fails, noting it", async () => {
    const h = harness({ verdicts: ["fail"], deployFailures: ["resetCanary"] });
    const final = await h.run();
    assert.equal(final.phase, "rolled-back");
    assert.match(final.reason ?? "", /canary reset failed/);
  });

  it("resumes a rollout killed mid-bake: same step, remaining bake only, then promotes", async () => {
    const h = harness();
    const started = h.clock.now();
    const killed: RolloutState = {
      ...h.initial,
      phase: "baking",
      stepIndex: 1,
      weights: { stable: 50, canary: 50 },
      bakeStartedAt: started - 20_000,
      transitions: [],
    };
    const final = await h.run(killed);
    assert.equal(final.phase, "promoted");
    assert.deepEqual(canaryWeights(h.router), [50, 100, 0]);
    // Step 2 had 10 s of bake left: one analysis, then three at step 3.
    assert.deepEqual(h.analyser.contexts.map((context) => context.step), [1, 2, 2, 2]);
  });

  it("finishes an interrupted rollback when resumed in rolling-back", async () => {
    const h = harness();
    const interrupted: RolloutState = { ...h.initial, phase: "rolling-back", stepIndex: 0, reason: "analysis failed", rollbackOutcome: "rolled-back" };
    const final = await h.run(interrupted);
    assert.equal(final.phase, "rolled-back");
    assert.equal(final.reason, "analysis failed");
    assert.deepEqual(canaryWeights(h.router), [0]);
  });

  it("builds the standard analysers from a target's raw sources with the plan's thresholds", async () => {
    const analysers = analysersFor(
      {
        metrics: { name: "m", sample: async (context) => ({ requests: 100, errors5xx: context.version === "canary" ? 5 : 0, p95Ms: 100, unhealthyTargets: 0, healthyTargets: 1 }) },
        probes: { name: "p", probe: async (path) => { throw new Error(`refused ${path}`); } },
      },
      { ...DEFAULT_PLAN.thresholds, max5xxRate: 0.01 },
      ["/health"],
    );
    const context = { version: "canary", window: { start: 0, end: 1 }, step: 0, canaryWeight: 10 } as const;
    const [metrics, probes] = await Promise.all(analysers.map((analyser) => analyser.measure(context)));
    assert.equal(metrics?.find((m) => m.metric === "5xx-rate")?.status, "fail");
    assert.deepEqual(probes?.map((m) => m.status), ["error"]);
    assert.match(probes?.[0]?.message ?? "", /refused \/health/);
  });
});

/** Traffic per analysis window: 4,000 requests split by the canary's weight, failures at the given rates. */
function traffic(rates: (context: AnalysisContext, window: number) => { canary: number; stable: number; canaryP95?: number }): MetricsSource {
  let window = 0;
  return {
    name: "traffic",
    async sample(context): Promise<VersionMetricsSample> {
      if (context.version === "canary") window += 1;
      const share = context.version === "canary" ? context.canaryWeight / 100 : 1 - context.canaryWeight / 100;
      const requests = Math.round(4_000 * share);
      const rate = rates(context, window);
      return { requests, errors5xx: Math.round(requests * rate[context.version]), p95Ms: context.version === "canary" ? (rate.canaryP95 ?? 20) : 20, unhealthyTargets: 0, healthyTargets: 1 };
    },
  };
}

describe("rollout engine with statistical analysis (standard analysers over raw traffic)", () => {
  it("promotes a canary at 0.5 % against a 1 % limit once the evidence shows it below", async () => {
    const h = harness({ metrics: traffic(() => ({ canary: 0.005, stable: 0 })) });
    const final = await h.run();
    assert.equal(final.phase, "promoted", final.reason);
    const first = final.analyses.filter((a) => a.step === 0);
    // 400 requests per window at 10 %: the first windows cannot show 0.5 % < 1 %; the step bakes on until they can.
    assert.deepEqual(first.slice(0, 2).map((a) => a.verdict), ["inconclusive", "inconclusive"]);
    assert.equal(first.at(-1)?.verdict, "pass");
  });

  it("pauses, and does not roll the canary back, when stable fails as well (even non-interactive)", async () => {
    const h = harness({ plan: { inconclusivePolicy: "fail" }, metrics: traffic(() => ({ canary: 0.05, stable: 0.05 })) });
    const final = await h.run();
    assert.equal(final.phase, "paused");
    assert.equal(exitCodeForPhase(final.phase), 3);
    assert.match(final.reason ?? "", /stable fails as well at step 1 .* both versions fail the 5xx rate limit/);
    assert.equal(final.totalFailures, 0, "not counted as a canary failure");
    assert.deepEqual(h.router.weights, { stable: 90, canary: 10 });
  });

  it("rolls back a canary clearly slower than stable although under the absolute p95 limit", async () => {
    const h = harness({ metrics: traffic(() => ({ canary: 0, stable: 0, canaryP95: 320 })) });
    const final = await h.run();
    assert.equal(final.phase, "rolled-back");
    assert.match(final.reason ?? "", /p95 latency 320 ms is worse than stable 20 ms/);
    // The first window only raises it; the second confirms it.
    assert.equal(final.analyses.length, 2);
  });

  it("never promotes a flapping canary (100 % 5xx every other window), even with --failure-limit 2 per step", async () => {
    const h = harness({ plan: { failureLimit: 2, rolloutFailureLimit: 2, consecutiveFailureLimit: 2 }, metrics: traffic((_context, window) => ({ canary: window % 2 === 0 ? 1 : 0, stable: 0 })) });
    const final = await h.run();
    assert.notEqual(final.phase, "promoted");
    assert.equal(final.phase, "rolled-back");
    assert.match(final.reason ?? "", /in the rollout, limit 2|in this step, limit 2/);
  });

  it("never promotes a flapping canary, whatever the limits and the flapping period (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 4 }), async (step, rollout, inARow, period) => {
        const h = harness({ plan: { failureLimit: step, rolloutFailureLimit: rollout, consecutiveFailureLimit: inARow }, metrics: traffic((_context, window) => ({ canary: Math.floor((window - 1) / period) % 2 === 0 ? 1 : 0, stable: 0 })) });
        const final = await h.run();
        return final.phase !== "promoted";
      }),
      { numRuns: 25 },
    );
  });

  it("never promotes a flapping canary with a large failure budget either: a step only ends on evidence below the limit", async () => {
    const h = harness({ plan: { failureLimit: 50, rolloutFailureLimit: 50, consecutiveFailureLimit: 50 }, metrics: traffic((_context, window) => ({ canary: window % 2 === 0 ? 1 : 0, stable: 0 })) });
    const final = await h.run();
    assert.notEqual(final.phase, "promoted");
  });
});

describe("rollout state machine", () => {
  const plan = buildPlan({});
  assert.ok(plan.ok);
  const state = newRolloutState({ id: "r", environment: "dev", target: "fake", image: NEW, plan: plan.plan, holder: TEST_HOLDER, now: 0 });

  it("refuses transitions nobody planned for", () => {
    assert.throws(() => transition(state, "promoted", 1), IllegalTransitionError);
    assert.throws(() => transition(state, "baking", 1), IllegalTransitionError);
  });

  it("requires a reason to roll back, abort or pause", () => {
    assert.throws(() => transition(state, "rolling-back", 1), /needs a reason/);
    const rolling = transition(state, "rolling-back", 1, "because");
    assert.equal(rolling.transitions.at(-1)?.reason, "because");
    assert.throws(() => transition(rolling, "rolling-back", 2, "again"), IllegalTransitionError);
  });

  it("never leaves a terminal phase", () => {
    const done = transition(transition(state, "rolling-back", 1, "x"), "rolled-back", 2, "x");
    assert.equal(done.finishedAt, 2);
    assert.throws(() => transition(done, "rolling-back", 3, "y"), IllegalTransitionError);
  });
});

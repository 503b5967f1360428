import assert from "node:assert/strict";
import fc from "fast-check";
import { newRolloutState, runRollout } from "../rollout/engine/engine.ts";
import { isTerminal } from "../rollout/engine/machine.ts";
import { DEFAULT_PLAN } from "../rollout/engine/plan.ts";
import type { OperatorRequestKind, RolloutPlan } from "../rollout/engine/model.ts";
import { FakeClock, FakeDeployer, FakeHooks, FakeRouter, MemoryStateStore, operatorRequest, RecordingReporter, ScriptedAnalyser, TEST_HOLDER } from "./support/rollout-fakes.ts";

const OLD = "app:1";
const NEW = "app:2";

const stepsArbitrary = fc
  .uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 4 })
  .map((weights) => [...weights.sort((a, b) => a - b), 100]);

const scenarioArbitrary = fc.record({
  steps: stepsArbitrary,
  failureLimit: fc.integer({ min: 0, max: 2 }),
  consecutiveErrorLimit: fc.integer({ min: 0, max: 3 }),
  inconclusivePolicy: fc.constantFrom("pause", "fail" as const),
  approvalBeforeEachStep: fc.boolean(),
  verdicts: fc.array(fc.constantFrom("pass", "fail", "error", "inconclusive" as const), { maxLength: 30 }),
  signalAtMs: fc.option(fc.integer({ min: 0, max: 400_000 }), { nil: undefined }),
  requests: fc.array(fc.record({ atMs: fc.integer({ min: 0, max: 400_000 }), kind: fc.constantFrom<OperatorRequestKind>("abort", "promote", "resume") }), { maxLength: 4 }),
  lagReads: fc.integer({ min: 0, max: 3 }),
  transientFailures: fc.integer({ min: 0, max: 3 }),
  hookFails: fc.boolean(),
  deployFails: fc.boolean(),
});

describe("rollout engine properties", () => {
  it("whatever the measurements, signals and requests: all traffic ends on one version, within the plan, with reasons", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async (scenario) => {
        const clock = new FakeClock();
        const start = clock.now();
        const router = new FakeRouter({ lagReads: scenario.lagReads, transientFailures: scenario.transientFailures });
        const deployer = new FakeDeployer(OLD, scenario.deployFails ? ["deployCanary"] : []);
        const hooks = new FakeHooks(scenario.hookFails ? { check: { ok: false, exitCode: 1, message: "check --deploy failed" } } : {});
        const store = new MemoryStateStore();
        const plan: RolloutPlan = {
          ...DEFAULT_PLAN,
          steps: scenario.steps,
          bakeMs: 20_000,
          intervalMs: 10_000,
          failureLimit: scenario.failureLimit,
          consecutiveErrorLimit: scenario.consecutiveErrorLimit,
          inconclusivePolicy: scenario.inconclusivePolicy,
          approvalBeforeEachStep: scenario.approvalBeforeEachStep,
          hooks: [{ name: "check", command: "manage.py check --deploy", timeoutMs: 1_000 }],
          verifyTimeoutMs: 5_000,
        };
        const controller = new AbortController();
        if (scenario.signalAtMs !== undefined) clock.at(start + scenario.signalAtMs, () => controller.abort("SIGTERM"));
        for (const request of scenario.requests) {
          clock.at(start + request.atMs, () => void store.request("dev", operatorRequest(request.kind, "p", clock.now(), "property")));
        }
        // Nobody answering a pause forever would hang the run: a last resort resume keeps the property finite.
        for (let minute = 1; minute <= 60; minute += 1) clock.at(start + minute * 600_000, () => void store.request("dev", operatorRequest("resume", "p", clock.now(), "watchdog")));
        assert.ok((await store.acquireLock("dev", TEST_HOLDER)).ok);
        const initial = newRolloutState({ id: "p", environment: "dev", target: "fake", image: NEW, stableImage: OLD, plan, holder: TEST_HOLDER, now: start });
        const final = await runRollout(
          { router, deployer, hooks, store, analysers: [new ScriptedAnalyser(scenario.verdicts)], clock, reporter: new RecordingReporter() },
          initial,
          { pauseMode: "wait", signal: controller.signal },
        );

        assert.ok(isTerminal(final.phase), `ended in ${final.phase}`);
        assert.notEqual(final.phase, "rollback-failed", "a router that recovers always allows a verified rollback");
        // All traffic on one version: stable, running the new image if and only if the rollout promoted.
        assert.deepEqual(router.weights, { stable: 100, canary: 0 });
        assert.equal(deployer.stable, final.phase === "promoted" ? NEW : OLD);
        assert.equal(deployer.canary, undefined);
        // Weights never exceed the plan: every requested split is a plan step or all-stable.
        for (const weights of router.requested) {
          assert.equal(weights.stable + weights.canary, 100);
          assert.ok(weights.canary === 0 || plan.steps.includes(weights.canary), `canary ${weights.canary} not in plan ${plan.steps.join(",")}`);
        }
        // Weights only go up during the rollout, until they go back to stable.
        const upward = router.requested.map((weights) => weights.canary).filter((canary) => canary > 0);
        assert.deepEqual(upward, [...upward].sort((a, b) => a - b));
        // Every rollback, abort and pause has a reason.
        for (const record of final.transitions) {
          if (["rolling-back", "rolled-back", "aborted", "paused"].includes(record.to)) assert.ok(record.reason, `${record.to} without a reason`);
        }
        if (final.phase !== "promoted") assert.ok(final.reason);
        assert.ok(final.weightHistory.at(-1)?.verified);
        assert.deepEqual(await store.load("dev"), final);
      }),
      { numRuns: 300 },
    );
  });

  it("a router that never answers ends in rollback-failed, never in a success", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("pass", "fail" as const), async (verdict) => {
        const clock = new FakeClock();
        const store = new MemoryStateStore();
        assert.ok((await store.acquireLock("dev", TEST_HOLDER)).ok);
        const plan: RolloutPlan = { ...DEFAULT_PLAN, bakeMs: 10_000, intervalMs: 10_000, verifyTimeoutMs: 2_000 };
        const initial = newRolloutState({ id: "p", environment: "dev", target: "fake", image: NEW, plan, holder: TEST_HOLDER, now: clock.now() });
        const final = await runRollout(
          { router: new FakeRouter({ broken: true }), deployer: new FakeDeployer(OLD), hooks: new FakeHooks(), store, analysers: [new ScriptedAnalyser([], verdict)], clock, reporter: new RecordingReporter() },
          initial,
          { pauseMode: "exit" },
        );
        assert.equal(final.phase, "rollback-failed");
      }),
      { numRuns: 10 },
    );
  });
});

import assert from "node:assert/strict";
import type { CanaryHealth, LockView, Observation, WatchdogPorts, WatchdogSettings } from "../lambdas/rollout-watchdog/core.ts";
import { canaryFailures, decide, liveGraceMs, runWatchdogOnce } from "../lambdas/rollout-watchdog/core.ts";
import { newRolloutState, runRollout } from "../rollout/engine/engine.ts";
import { transition } from "../rollout/engine/machine.ts";
import { DEFAULT_PLAN, DEFAULT_THRESHOLDS } from "../rollout/engine/plan.ts";
import type { Measurement, RolloutPhase, RolloutState } from "../rollout/engine/model.ts";
import type { Analyser, AnalysisContext } from "../rollout/engine/ports.ts";
import { takenOver } from "../rollout/engine/takeover.ts";
import { CanaryHealthTracker } from "../rollout/targets/local/watchdog.ts";
import { FakeClock, FakeDeployer, FakeHooks, FakeRouter, MemoryStateStore, RecordingReporter, TEST_HOLDER } from "./support/rollout-fakes.ts";

const NOW = 1_700_000_600_000;
const SETTINGS: WatchdogSettings = { heartbeatStaleAfterMs: 120_000, abandonedAfterMs: 900_000 };
const PLAN = { ...DEFAULT_PLAN, intervalMs: 10_000, failureLimit: 1, verifyTimeoutMs: 30_000 };
const HEALTHY: CanaryHealth = { failing: [] };
const FAILING: CanaryHealth = { failing: ["alarm canary-5xx in ALARM"], failingSince: NOW - 5_000 };

/** A rollout in `phase` at step 1 (canary 10 %), as the orchestrator stores it. */
function stateIn(phase: RolloutPhase): RolloutState {
  const base = newRolloutState({ id: "r1", environment: "production", target: "aws", image: "app@sha256:new", stableImage: "app@sha256:old", plan: PLAN, holder: TEST_HOLDER, now: NOW - 60_000 });
  const walk: Record<RolloutPhase, RolloutPhase[]> = {
    planned: [], deploying: ["deploying"], "pre-traffic-hooks": ["deploying", "pre-traffic-hooks"],
    shifting: ["deploying", "pre-traffic-hooks", "shifting"], baking: ["deploying", "pre-traffic-hooks", "shifting", "baking"],
    analysing: ["deploying", "pre-traffic-hooks", "shifting", "baking", "analysing"],
    paused: ["deploying", "pre-traffic-hooks", "shifting", "baking", "analysing", "paused"],
    "awaiting-approval": ["deploying", "pre-traffic-hooks", "awaiting-approval"],
    promoting: ["deploying", "pre-traffic-hooks", "shifting", "promoting"], promoted: ["deploying", "pre-traffic-hooks", "shifting", "promoting", "promoted"],
    "rolling-back": ["deploying", "pre-traffic-hooks", "shifting", "rolling-back"], "rolled-back": ["deploying", "pre-traffic-hooks", "shifting", "rolling-back", "rolled-back"],
    aborted: ["deploying", "rolling-back", "aborted"], "rollback-failed": ["deploying", "rolling-back", "rollback-failed"],
  };
  let state: RolloutState = { ...base, stepIndex: 0, weights: { stable: 90, canary: 10 } };
  for (const next of walk[phase]) state = transition(state, next, NOW - 30_000, "test");
  return state;
}

const lockBeating = (ageMs: number, pidAlive?: boolean): LockView => ({ holder: { ...TEST_HOLDER, heartbeatAt: NOW - ageMs }, ...(pidAlive === undefined ? {} : { pidAlive }) });
const observe = (state: RolloutState | undefined, lock: LockView | undefined, canary: CanaryHealth): Observation => ({ now: NOW, state, lock, canary });

describe("rollout watchdog: decisions (shared by the Lambda and the local watchdog)", () => {
  it("does nothing without a rollout in progress", () => {
    assert.deepEqual(decide(observe(undefined, undefined, FAILING), SETTINGS), { action: "none", why: "no rollout recorded" });
    for (const phase of ["promoted", "rolled-back", "aborted", "rollback-failed"] as const) {
      assert.equal(decide(observe(stateIn(phase), undefined, FAILING), SETTINGS).action, "none", phase);
    }
  });

  it("leaves a rollout alone while its canary receives no traffic", () => {
    for (const phase of ["planned", "deploying", "pre-traffic-hooks"] as const) {
      const decision = decide(observe(stateIn(phase), undefined, FAILING), SETTINGS);
      assert.equal(decision.action, "none");
      assert.match(decision.action === "none" ? decision.why : "", /receives no traffic/);
    }
  });

  it("rolls back a failing canary at once when the orchestrator is gone: dead pid, stale heartbeat or no lock", () => {
    const cases: [LockView | undefined, RegExp][] = [
      [lockBeating(1_000, false), /its process \(pid 4242 on test-host\) is dead/],
      [lockBeating(121_000), /its heartbeat is 121 s old \(stale after 120 s\)/],
      [undefined, /no process holds the rollout's lock/],
    ];
    for (const [lock, why] of cases) {
      const decision = decide(observe(stateIn("baking"), lock, FAILING), SETTINGS);
      assert.equal(decision.action, "roll-back");
      if (decision.action !== "roll-back") continue;
      assert.match(decision.reason, /^rolled back by the rollout watchdog: the canary is failing \(alarm canary-5xx in ALARM\) and the orchestrator is gone/);
      assert.match(decision.reason, why);
      assert.equal(decision.outcome, "rolled-back");
      assert.equal(decision.releaseLockOf?.id, lock?.holder.id);
    }
  });

  it("defers to a live orchestrator, then acts when it has not rolled back a failing canary within its grace", () => {
    assert.equal(decide(observe(stateIn("baking"), lockBeating(10 * 60_000, true), HEALTHY), SETTINGS).action, "none", "a live pid on this host is alive whatever its heartbeat");
    const grace = liveGraceMs(stateIn("baking"));
    assert.equal(grace, (1 + 2) * 10_000 + 30_000);
    const early = decide(observe(stateIn("baking"), lockBeating(5_000, true), { ...FAILING, failingSince: NOW - grace }), SETTINGS);
    assert.equal(early.action, "none");
    assert.match(early.action === "none" ? early.why : "", /the live orchestrator rollout-test acts on it/);
    const late = decide(observe(stateIn("analysing"), lockBeating(5_000, true), { ...FAILING, failingSince: NOW - grace - 1 }), SETTINGS);
    assert.equal(late.action, "roll-back");
    assert.match(late.action === "roll-back" ? late.reason : "", /has not rolled back within 60 s/);
    assert.equal(late.action === "roll-back" ? late.releaseLockOf : "x", undefined, "a live holder's lock is never released");
  });

  it("gives a person the abandon deadline before rolling back a healthy canary nobody analyses", () => {
    const before = decide(observe(stateIn("baking"), lockBeating(SETTINGS.abandonedAfterMs - 1, false), HEALTHY), SETTINGS);
    assert.equal(before.action, "none");
    assert.match(before.action === "none" ? before.why : "", /rolled back in 0 s unless resumed/);
    const after = decide(observe(stateIn("baking"), lockBeating(SETTINGS.abandonedAfterMs, false), HEALTHY), SETTINGS);
    assert.equal(after.action, "roll-back");
    assert.match(after.action === "roll-back" ? after.reason : "", /nothing has analysed the canary for 900 s \(deadline 900 s\)/);
  });

  it("leaves pauses and promotions to a person unless the canary fails", () => {
    for (const phase of ["paused", "awaiting-approval"] as const) {
      assert.equal(decide(observe(stateIn(phase), undefined, HEALTHY), { ...SETTINGS, abandonedAfterMs: 1 }).action, "none", phase);
      const failing = decide(observe(stateIn(phase), undefined, FAILING), SETTINGS);
      assert.match(failing.action === "roll-back" ? failing.reason : "", new RegExp(`while ${phase}`));
    }
    assert.equal(decide(observe(stateIn("promoting"), lockBeating(SETTINGS.abandonedAfterMs * 2, false), HEALTHY), SETTINGS).action, "none");
    assert.equal(decide(observe(stateIn("promoting"), lockBeating(1_000, false), FAILING), SETTINGS).action, "roll-back");
  });

  it("finishes an interrupted rollback with its original outcome, but not while its process still runs it", () => {
    const aborting = { ...stateIn("rolling-back"), rollbackOutcome: "aborted" as const, reason: "aborted by ops" };
    assert.equal(decide(observe(aborting, lockBeating(1_000, true), HEALTHY), SETTINGS).action, "none");
    const finish = decide(observe(aborting, lockBeating(1_000, false), HEALTHY), SETTINGS);
    assert.equal(finish.action === "roll-back" && finish.outcome, "aborted");
    assert.match(finish.action === "roll-back" ? finish.reason : "", /finished the interrupted rollback \(aborted by ops\)/);
  });

  it("judges a local canary window against the rollout's own thresholds, never on too few requests", () => {
    assert.deepEqual(canaryFailures({ requests: 100, errors5xx: 0, p95Ms: 50, healthy: true }, DEFAULT_THRESHOLDS), []);
    assert.deepEqual(canaryFailures({ requests: 2, errors5xx: 2, p95Ms: 5_000, healthy: true }, DEFAULT_THRESHOLDS), []);
    const problems = canaryFailures({ requests: 100, errors5xx: 30, p95Ms: 5_000, healthy: false }, DEFAULT_THRESHOLDS);
    assert.deepEqual(problems.map((p) => p.split(" ")[0]), ["canary", "5xx", "p95"]);
  });
});

/** Ports over the engine's fakes: the same store and router the orchestrator uses. */
function memoryPorts(store: MemoryStateStore, router: FakeRouter, clock: FakeClock, notes: string[]): WatchdogPorts {
  return {
    loadState: () => store.loadVersioned("production"),
    saveState: (state, version) => store.save(state, version),
    setWeights: (weights) => router.setWeights(weights),
    readWeights: () => router.readWeights(),
    releaseLock: (holder) => store.releaseLock("production", holder),
    notify: async (subject) => void notes.push(subject),
    sleep: (ms) => clock.sleep(ms),
    now: () => clock.now(),
    log: () => undefined,
  };
}

describe("rollout watchdog and orchestrator agree through the state", () => {
  /** One orchestrator and one watchdog sharing a store and a router; `orchestrate` runs the rollout to its end. */
  function sharing() {
    const clock = new FakeClock(NOW);
    const router = new FakeRouter();
    const store = new MemoryStateStore();
    const notes: string[] = [];
    const ports = memoryPorts(store, router, clock, notes);
    /** The watchdog's round while the orchestrator still beats, its canary failing for ten minutes: beyond the grace. */
    const watchdogActs = () => runWatchdogOnce(ports, async () => ({ lock: { holder: { ...TEST_HOLDER, heartbeatAt: clock.now() - 1_000 } }, canary: { failing: ["alarm canary-5xx in ALARM"], failingSince: clock.now() - 10 * 60_000 } }), SETTINGS);
    const orchestrate = async (analysers: Analyser[]) => {
      const initial = newRolloutState({ id: "r1", environment: "production", target: "fake", image: "app:2", stableImage: "app:1", plan: { ...PLAN, bakeMs: 60_000 }, holder: TEST_HOLDER, now: clock.now() });
      assert.ok((await store.acquireLock("production", TEST_HOLDER)).ok);
      await store.save(initial);
      return runRollout({ router, deployer: new FakeDeployer("app:1"), hooks: new FakeHooks(), store, analysers, clock, reporter: new RecordingReporter() }, initial, { pauseMode: "exit" });
    };
    return { router, store, notes, watchdogActs, orchestrate };
  }

  it("an orchestrator whose rollout the watchdog took over during an analysis stops: no further shift, no overwrite", async () => {
    const { router, store, notes, watchdogActs, orchestrate } = sharing();
    // The watchdog acts while the orchestrator measures its second interval (a slow GetMetricData).
    let measured = 0;
    const analyser: Analyser = {
      name: "metrics",
      async measure(context: AnalysisContext): Promise<Measurement[]> {
        measured += 1;
        if (measured === 2) assert.equal((await watchdogActs()).result, "rolled-back");
        return [{ analyser: "metrics", metric: "5xx-rate", status: "pass", version: context.version, message: "looks fine to the orchestrator" }];
      },
    };
    const final = await orchestrate([analyser]);

    assert.equal(final.phase, "rolled-back");
    assert.match(final.reason ?? "", /^rolled back by the rollout watchdog: .*has not rolled back within/);
    assert.deepEqual(router.requested.map((w) => w.canary), [0, 10, 0], "the orchestrator put the canary at 0 before deploying and shifted to 10 %, the watchdog back to 0, and nobody shifted again");
    assert.deepEqual(await store.load("production"), final, "the watchdog's record stands");
    assert.equal(measured, 2, "no analysis after the takeover");
    assert.deepEqual(notes, ["production: rollout r1 rolled back by the watchdog"]);
  });

  it("a claim the watchdog writes between the orchestrator's check and its save is not overwritten: that save fails and the orchestrator yields", async () => {
    const { router, store, watchdogActs, orchestrate } = sharing();
    let claimAt: number | undefined;
    const loadVersioned = store.loadVersioned.bind(store);
    store.loadVersioned = async (environment) => {
      const read = await loadVersioned(environment);
      if (claimAt === undefined && read?.state.phase === "baking") {
        claimAt = store.saves.length;
        // The orchestrator has read (and found no takeover) and is about to save: the watchdog acts now.
        assert.equal((await watchdogActs()).result, "rolled-back");
      }
      return read;
    };
    const final = await orchestrate([]);

    assert.notEqual(claimAt, undefined, "the watchdog acted between a read and a save of the orchestrator");
    assert.equal(final.phase, "rolled-back");
    assert.match(final.reason ?? "", /^rolled back by the rollout watchdog: /);
    assert.deepEqual(store.saves.slice(claimAt).map((saved) => saved.phase), ["rolling-back", "rolled-back"], "only the watchdog's records after its claim");
    assert.deepEqual(await store.load("production"), final, "the watchdog's record stands");
    assert.equal(router.requested.at(-1)?.canary, 0, "traffic stays on stable");
  });

  it("a second watchdog round (or a retried invocation) changes nothing", async () => {
    const clock = new FakeClock(NOW);
    const router = new FakeRouter();
    const store = new MemoryStateStore();
    const notes: string[] = [];
    const ports = memoryPorts(store, router, clock, notes);
    await store.save(stateIn("baking"));
    const facts = async () => ({ lock: lockBeating(1_000, false), canary: FAILING });
    assert.equal((await runWatchdogOnce(ports, facts, SETTINGS)).result, "rolled-back");
    const after = await store.load("production");
    const second = await runWatchdogOnce(ports, facts, SETTINGS);
    assert.equal(second.result, "no-op");
    assert.equal(await store.load("production"), after);
    assert.deepEqual(router.requested, [{ stable: 100, canary: 0 }]);
    assert.equal(notes.length, 1);
  });

  it("takenOver: only a rolling-back or finished record of the same rollout that this process did not write", () => {
    const baking = stateIn("baking");
    assert.equal(takenOver(baking, baking), undefined);
    assert.equal(takenOver(baking, undefined), undefined);
    assert.equal(takenOver(baking, { ...stateIn("rolled-back"), id: "another" }), undefined);
    assert.equal(takenOver(stateIn("rolling-back"), stateIn("rolled-back")), undefined, "finishing its own rollback is not a takeover");
    assert.equal(takenOver(baking, stateIn("rolling-back"))?.phase, "rolling-back");
    assert.equal(takenOver(baking, stateIn("rolled-back"))?.phase, "rolled-back");
  });
});

describe("local watchdog: the canary's health from HAProxy windows", () => {
  const window = (overrides: Partial<{ requests: number; status5xx: number; healthy: boolean; status: string }> = {}) => ({
    canary: { requests: 20, status5xx: 0, errorRate: 0, p95Ms: 12, averageResponseMs: 10, status: "UP", healthy: true, ...overrides },
    stable: { requests: 180, status5xx: 0, errorRate: 0, p95Ms: 12, averageResponseMs: 10, status: "UP", healthy: true },
  });

  it("marks when failing began, keeps it while windows keep failing, clears it on a passing window", async () => {
    const readings: (ReturnType<typeof window> | Error)[] = [window(), window({ status5xx: 10 }), window({ healthy: false, status: "DOWN", requests: 0 }), new Error("stats page down"), window()];
    const tracker = new CanaryHealthTracker({
      read: async () => {
        const next = readings.shift();
        if (next === undefined || next instanceof Error) throw next ?? new Error("no reading");
        return next;
      },
    });
    const state = stateIn("baking");
    assert.deepEqual(await tracker.observe(state, 1_000), { failing: [] });
    assert.deepEqual(await tracker.observe(state, 2_000), { failing: ["5xx rate 50.0% over 20 requests, lower bound 26.93% > 1%"], failingSince: 2_000 });
    assert.deepEqual(await tracker.observe(state, 3_000), { failing: ["canary fails the router's health check"], failingSince: 2_000 });
    assert.deepEqual(await tracker.observe(state, 4_000), { failing: [] }, "a reading that cannot be taken is no evidence");
    assert.deepEqual(await tracker.observe(state, 5_000), { failing: [] });
  });
});

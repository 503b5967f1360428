import assert from "node:assert/strict";
import { analysersFor } from "../../rollout/engine/analysers.ts";
import { newRolloutState, runRollout } from "../../rollout/engine/engine.ts";
import type { RunOptions } from "../../rollout/engine/engine.ts";
import { DEFAULT_PLAN } from "../../rollout/engine/plan.ts";
import type { HookOutcome, LockHolder, MeasurementStatus, RolloutPlan, RolloutState } from "../../rollout/engine/model.ts";
import type { Analyser, MetricsSource } from "../../rollout/engine/ports.ts";
import { FakeClock, FakeDeployer, FakeHooks, FakeRouter, MemoryStateStore, RecordingReporter, ScriptedAnalyser, TEST_HOLDER } from "./rollout-fakes.ts";
import type { FakeRouterOptions } from "./rollout-fakes.ts";

export const OLD = "app:1";
export const NEW = "app:2";

/** The plan a harness runs unless told otherwise: 30 s bakes judged every 10 s, at most 60 s of bake, 5 s to verify a shift. */
export const HARNESS_PLAN: RolloutPlan = { ...DEFAULT_PLAN, bakeMs: 30_000, maxBakeMs: 60_000, intervalMs: 10_000, verifyTimeoutMs: 5_000 };

export interface HarnessOptions {
  /** Spread over HARNESS_PLAN: a whole plan (`{ ...DEFAULT_PLAN, ... }`) replaces it. */
  readonly plan?: Partial<RolloutPlan>;
  /** What the scripted analyser answers, in order, and after the script runs out (default pass). */
  readonly verdicts?: readonly MeasurementStatus[];
  readonly after?: MeasurementStatus;
  readonly router?: FakeRouterOptions;
  readonly deployFailures?: ConstructorParameters<typeof FakeDeployer>[1];
  /** A deployer of the caller's own (instead of a FakeDeployer on OLD with `deployFailures`). */
  readonly deployer?: FakeDeployer;
  readonly hookOutcomes?: Readonly<Record<string, HookOutcome>>;
  /** Judge real metrics (through the standard analysers) instead of scripted verdicts. */
  readonly metrics?: MetricsSource;
  /** Analysers of the caller's own instead of the scripted one. */
  readonly analysers?: readonly Analyser[];
  /** The rollout's id (default r1), the image it rolls out (default NEW) and the lock holder (default TEST_HOLDER). */
  readonly id?: string;
  readonly image?: string;
  readonly holder?: LockHolder;
}

/** A rollout in environment dev from OLD to NEW on the in-memory fakes; `run` takes the lock and runs it (pause mode exit). */
export function harness(options: HarnessOptions = {}) {
  const clock = new FakeClock();
  const router = new FakeRouter(options.router);
  const deployer = options.deployer ?? new FakeDeployer(OLD, options.deployFailures);
  const hooks = new FakeHooks(options.hookOutcomes);
  const store = new MemoryStateStore();
  const reporter = new RecordingReporter();
  const analyser = new ScriptedAnalyser(options.verdicts ?? [], options.after ?? "pass");
  const plan: RolloutPlan = { ...HARNESS_PLAN, ...options.plan };
  const initial = newRolloutState({ id: options.id ?? "r1", environment: "dev", target: "fake", image: options.image ?? NEW, stableImage: OLD, plan, holder: options.holder ?? TEST_HOLDER, now: clock.now() });
  const analysers = options.analysers ?? (options.metrics ? analysersFor({ metrics: options.metrics }, plan.thresholds, [], plan.baseline) : [analyser]);
  const deps = { router, deployer, hooks, store, analysers, clock, reporter };
  const run = async (state: RolloutState = initial, runOptions: Partial<RunOptions> = {}) => {
    assert.ok((await store.acquireLock("dev", initial.holder)).ok);
    return runRollout(deps, state, { pauseMode: "exit", ...runOptions });
  };
  /** The messages of the reporter's log events, in order. */
  const logs = () => reporter.events.flatMap((event) => (event.type === "log" ? [event.message] : []));
  return { clock, router, deployer, hooks, store, reporter, analyser, plan, initial, run, logs };
}

/** The canary weight of each change the router was asked for. */
export function canaryWeights(router: FakeRouter): number[] {
  return router.requested.map((weights) => weights.canary);
}

/**
 * Ports of the rollout engine: the interfaces a *target* (local HAProxy, AWS ALB) implements with adapters.
 *
 * The engine (rollout/engine/*) is pure orchestration over these interfaces. Adapters only do I/O and return
 * raw facts (weights read back, request counts, HTTP responses, alarm states) in the domain model's types
 * (model.ts); every judgement (pass / fail / inconclusive / error) is made by the engine's pure evaluators, so
 * that the same thresholds mean the same thing on every target.
 *
 * STABILITY: other modules build on these types. Changes are additive only; a breaking change must be
 * announced here, at the top of this file.
 *
 * BREAKING (issue 11): `StateStore` gained `withdrawRequest`.
 * - issue 14: the domain types moved to model.ts; a `TrafficRouter` no longer verifies or records in
 *   `setWeights` (the engine verifies, `Deployer.recordWeights` records).
 * - issue 14: `RolloutPlan.manualGate` (model.ts) is `approvalBeforeEachStep` ("gate" is the offline policy
 *   gate); `withPlanDefaults` reads states stored with the old name.
 */
import type { AlarmState, AnalysisRecord, DeployedImages, EpochMs, HookOutcome, HttpResponseSample, LockHolder, LockInfo, LockResult, Measurement, OperatorRequest, PreTrafficHook, RolloutEvent, RolloutState, RouterHealth, TimeWindow, Version, VersionMetricsSample, Weights } from "./model.ts";

// ---------------------------------------------------------------------------------------------------------
// Traffic
// ---------------------------------------------------------------------------------------------------------

/**
 * Moves traffic between stable and canary: it only sets and reads. `setWeights` may return before the change
 * is effective (an ALB has no published propagation time); the engine verifies every change by reading the
 * weights back with `readWeights` until they match or a deadline passes (engine/shift.ts), and never trusts
 * `setWeights` alone. Recording verified weights is the deployer's (`Deployer.recordWeights`), not the router's.
 */
export interface TrafficRouter {
  setWeights(weights: Weights, signal?: AbortSignal): Promise<void>;
  /** What the router applies now (not what was last asked). */
  readWeights(signal?: AbortSignal): Promise<Weights>;
  /**
   * Whether the router itself sees `version` as able to take traffic (HAProxy's health check, the ALB's
   * target health). Optional: a router that cannot tell returns `unknown`, and the engine says so.
   */
  readHealth?(version: Version, signal?: AbortSignal): Promise<RouterHealth>;
}

// ---------------------------------------------------------------------------------------------------------
// Analysis
// ---------------------------------------------------------------------------------------------------------

export interface AnalysisContext {
  readonly version: Version;
  /** The interval the measurement covers (the last analysis interval). */
  readonly window: TimeWindow;
  /** Index of the plan step being analysed (0-based). */
  readonly step: number;
  readonly canaryWeight: number;
  readonly signal?: AbortSignal;
  /** Earlier analyses of this rollout: rate evidence accumulates over them. */
  readonly history?: readonly AnalysisRecord[];
}

/** Something that turns the world into judged measurements. The engine builds the standard ones itself. */
export interface Analyser {
  readonly name: string;
  measure(context: AnalysisContext): Promise<readonly Measurement[]>;
}

/** Fetches raw per-version metrics. Throwing means "could not measure" and becomes an `error` measurement. */
export interface MetricsSource {
  readonly name: string;
  sample(context: AnalysisContext): Promise<VersionMetricsSample>;
}

/** Sends one GET for `path` to the given version (e.g. with the canary header through the ALB). */
export interface ProbeSource {
  readonly name: string;
  probe(path: string, version: Version, signal?: AbortSignal): Promise<HttpResponseSample>;
}

/** Lists the configured alarms and their states. Throwing becomes an `error` measurement. */
export interface AlarmSource {
  readonly name: string;
  alarms(context: AnalysisContext): Promise<readonly AlarmState[]>;
}

// ---------------------------------------------------------------------------------------------------------
// Deploys and hooks
// ---------------------------------------------------------------------------------------------------------

/**
 * Runs the versions. Every call returns when the change is done and healthy enough to receive traffic
 * (or throws with a message saying what is wrong). Calls must be idempotent: `resume` repeats the last one.
 */
export interface Deployer {
  /** What each version runs now. */
  images(signal?: AbortSignal): Promise<DeployedImages>;
  /** Starts / updates the canary with `image`, receiving no traffic yet. */
  deployCanary(image: string, signal?: AbortSignal): Promise<void>;
  /** Stable takes `image` (the canary's). Called while the canary still carries the traffic. */
  promote(image: string, signal?: AbortSignal): Promise<void>;
  /** Canary back to the stable image or scaled down; called only when it receives no traffic. */
  resetCanary(signal?: AbortSignal): Promise<void>;
  /**
   * Keeps weights the engine has verified on the router where this deployer's next deploy reads them (the AWS
   * stack's `web.canaryWeight`, ADR 0051), so that a deploy mid-rollout does not revert them. Absent where
   * deploys do not touch the weights (the local target). A failure leaves the shift unverified.
   */
  recordWeights?(weights: Weights, signal?: AbortSignal): Promise<void>;
}

/** Runs pre-traffic hooks against the canary before any traffic moves. A no-op runner returns ok. */
export interface HookRunner {
  run(hook: PreTrafficHook, context: { readonly image: string; readonly signal?: AbortSignal }): Promise<HookOutcome>;
}

// ---------------------------------------------------------------------------------------------------------
// State store, operator requests, lock
// ---------------------------------------------------------------------------------------------------------

/** A stored state with the version a conditional write must match (an S3 ETag, a hash of the file). */
export interface VersionedState {
  readonly state: RolloutState;
  readonly version: string;
}

/** A conditional save found the stored state changed since the version read: someone else wrote it. */
export class StateConflictError extends Error {}

export interface StateStore {
  /** Human description, e.g. the directory or bucket/key, for messages. */
  describe(): string;
  load(environment: string): Promise<RolloutState | undefined>;
  /** The state with its version, for a conditional `save`. */
  loadVersioned(environment: string): Promise<VersionedState | undefined>;
  /**
   * Atomic: a reader sees the old or the new state, never a torn one. With `ifVersion`, writes only if the
   * stored state is still that version, else throws StateConflictError (the rollout watchdog claims a rollout
   * this way, and the engine saves this way so that it never overwrites the claim). Returns the new version.
   */
  save(state: RolloutState, ifVersion?: string): Promise<string>;
  /** Refuses (ok:false, naming the holder) when held; takes a stale lock over only with `takeOverStale`. */
  acquireLock(environment: string, holder: LockHolder, options?: { readonly takeOverStale?: boolean }): Promise<LockResult>;
  /** Refreshes `heartbeatAt`; throws if the lock is no longer ours (someone took it over). */
  renewLock(environment: string, holder: LockHolder): Promise<void>;
  /** Releases only if `holder` holds it. */
  releaseLock(environment: string, holder: LockHolder): Promise<void>;
  readLock(environment: string): Promise<LockInfo | undefined>;
  /** Queues an operator request for the running rollout. */
  request(environment: string, request: OperatorRequest): Promise<void>;
  /** Returns the queued requests (oldest first) and removes them. */
  takeRequests(environment: string): Promise<readonly OperatorRequest[]>;
  /** Removes request `id` if nobody took it yet; true when it was still queued (so it will never act). */
  withdrawRequest(environment: string, id: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------------------
// Time and progress
// ---------------------------------------------------------------------------------------------------------

export interface Clock {
  now(): EpochMs;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Progress sink (TTY renderer, CI lines, JSON, test recorder). Must not throw. */
export interface Reporter {
  emit(event: RolloutEvent): void;
}

// ---------------------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------------------

/**
 * The bundle of adapters one platform provides. The engine builds the standard analysers from `metrics`,
 * `probes` and `alarms` with the plan's thresholds; `analysers` adds target-specific ones.
 */
export interface Target {
  readonly name: string;
  /** One or more lines for `status`/`plan`: where traffic is routed, what is measured. */
  describe(): string;
  readonly router: TrafficRouter;
  readonly deployer: Deployer;
  readonly hooks: HookRunner;
  readonly store: StateStore;
  readonly metrics?: MetricsSource;
  readonly probes?: ProbeSource;
  readonly alarms?: AlarmSource;
  readonly analysers?: readonly Analyser[];
  /** Defaults to the system clock. */
  readonly clock?: Clock;
  /** Releases what the target started (processes, clients). Idempotent. */
  close(): Promise<void>;
}

export interface TargetOptions {
  /** dev / staging / production (or any name locally). */
  readonly environment: string;
  /** Pulumi stack (AWS target). */
  readonly stack?: string;
  /** Working directory (repository root); local state lives under `<cwd>/.readiness/`. */
  readonly cwd: string;
  /**
   * Which operation the target is built for: `start`/`resume` may start infrastructure (local processes);
   * `status`/`abort`/`promote`/`plan` must only attach (or use nothing but the store).
   */
  readonly purpose: "start" | "resume" | "status" | "request" | "plan";
  readonly log: (message: string) => void;
  readonly signal?: AbortSignal;
}

export type TargetFactory = (options: TargetOptions) => Promise<Target>;

/**
 * What a target's module (rollout/targets/<name>/target.ts) exports. The registry (rollout/targets/index.ts)
 * maps a name to the module in one line and loads it only when that target is used.
 */
export interface TargetModule {
  readonly createTarget: TargetFactory;
  /**
   * What is wrong with the image for this target, checked before it starts anything (the local target runs
   * only the sample app). Absent: the target's own deploy judges images.
   */
  readonly imageProblems?: (image: string) => readonly { readonly problem: string; readonly fix: string }[];
}

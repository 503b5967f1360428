/**
 * The rollout's domain model: versions and weights, measurements and their evidence, the plan, the phases, the
 * persisted state and its records, operator requests and locks, progress events. Plain data, no I/O: the
 * engine's pure functions, the adapters (rollout/engine/ports.ts) and the reports all speak it.
 *
 * STABILITY: other modules build on these types. Changes are additive only; a breaking change must be
 * announced here, at the top of this file.
 *
 * BREAKING (issue 11): `OperatorRequest` carries `id` and `rolloutId` (a request never applies to another
 * rollout).
 * - issue 12: `AnalysisThresholds` gained statistical and baseline settings plus an index signature (a metric
 *   declared in metrics.ts names its own limit key); `RolloutPlan` gained rollout-wide failure accounting
 *   (`rolloutFailureLimit`, `consecutiveFailureLimit`), `maxBakeMs` and `baseline`; state files written
 *   before lack them and get the defaults (`withPlanDefaults`).
 * - issue 14: these types moved here from ports.ts (unchanged).
 */

/** The two versions a canary rollout runs side by side. */
export type Version = "stable" | "canary";

/** Traffic split in percent; always `stable + canary === 100`. */
export interface Weights {
  readonly stable: number;
  readonly canary: number;
}

/** Epoch milliseconds. */
export type EpochMs = number;

export interface TimeWindow {
  readonly start: EpochMs;
  readonly end: EpochMs;
}

// ---------------------------------------------------------------------------------------------------------
// Traffic
// ---------------------------------------------------------------------------------------------------------

/** The router's own view of one version's backends. */
export interface RouterHealth {
  readonly status: "healthy" | "unhealthy" | "unknown";
  /** What the router says, e.g. `HAProxy status DOWN (L7STS/503)` or `0 of 2 targets healthy`. */
  readonly detail: string;
}

// ---------------------------------------------------------------------------------------------------------
// Analysis
// ---------------------------------------------------------------------------------------------------------

export type MeasurementStatus = "pass" | "fail" | "inconclusive" | "error";

/** One judged fact. `error` means the measurement could not be taken: never counted as a pass. */
export interface Measurement {
  /** Which analyser produced it, e.g. `metrics`, `probes`, `alarms`. */
  readonly analyser: string;
  /** What was measured, e.g. `5xx-rate`, `p95-ms`, `unhealthy-targets`, `GET /health/ready`, `alarm:api-5xx`. */
  readonly metric: string;
  readonly status: MeasurementStatus;
  readonly version?: Version;
  readonly value?: number | string;
  readonly threshold?: number | string;
  /** Human sentence: what was seen and why it is judged so. */
  readonly message: string;
  /** The numbers behind a metric's judgement (canary, stable, bounds), for the report. */
  readonly evidence?: MetricEvidence;
  /**
   * `both-versions`: stable fails the same check over the same window, so the canary is not the cause. The
   * engine pauses for a person instead of rolling the canary back (and does not count it as a canary failure).
   */
  readonly attribution?: "canary" | "both-versions";
}

/** One version's side of a metric's evidence. Rates carry counts and Wilson bounds; levels a value. */
export interface VersionEvidence {
  readonly value?: number;
  readonly failures?: number;
  readonly trials?: number;
  /** Rates only: lower bound at the fail confidence, upper bound at the pass confidence. */
  readonly lower?: number;
  readonly upper?: number;
}

export interface MetricEvidence {
  /** This window. */
  readonly canary: VersionEvidence;
  readonly stable?: VersionEvidence;
  /** Rates: every non-overlapping window of the rollout so far, this one included. */
  readonly accumulated?: { readonly canary: VersionEvidence; readonly stable?: VersionEvidence; readonly windows: number };
  /** The window the source says the numbers cover (CloudWatch rounds to whole minutes). */
  readonly covers?: TimeWindow;
  /** The absolute limit. */
  readonly limit: number;
  /** What the canary had to stay under relative to stable (baseline comparison), when compared. */
  readonly baselineLimit?: number;
  /** Bounds of canary minus stable (rates, baseline comparison). */
  readonly difference?: { readonly lower: number; readonly upper: number };
  /** One-sided confidence of the upper bounds (pass) and of the lower bounds (fail). */
  readonly confidence?: { readonly pass: number; readonly fail: number };
  /** Why the status: the rule that decided it. */
  readonly rule: "above-limit" | "worse-than-stable" | "both-failing" | "below-limit" | "too-little-data" | "no-data" | "unconfirmed";
}

/**
 * Raw traffic metrics of one version over one window. Fields the source cannot know are left undefined
 * and judged `inconclusive` (never `pass`).
 */
export interface VersionMetricsSample {
  /** Responses served in the window. */
  readonly requests: number;
  /** Of which 5xx (including 5xx the router generated because the version failed). */
  readonly errors5xx: number;
  /** p95 response time in ms over the window; undefined without samples. */
  readonly p95Ms?: number;
  /** Targets/instances of this version failing health checks. */
  readonly unhealthyTargets?: number;
  /** Targets/instances of this version passing health checks. */
  readonly healthyTargets?: number;
  /**
   * The time the counts really cover, when it differs from the analysis window (CloudWatch rounds to whole
   * minutes, so consecutive windows overlap); overlapping windows are counted once in accumulated evidence.
   */
  readonly covers?: TimeWindow;
}

/**
 * One HTTP exchange as it happened. Header names are lower-cased and every occurrence is kept (a duplicated
 * CORS header is exactly what the response checks look for).
 */
export interface HttpResponseSample {
  readonly url: string;
  /** Absent when no response arrived; `error` then says why. */
  readonly status?: number;
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly body: string;
  readonly durationMs: number;
  readonly error?: string;
}

export type AlarmStateValue = "OK" | "ALARM" | "INSUFFICIENT_DATA";

export interface AlarmState {
  readonly name: string;
  readonly state: AlarmStateValue;
  readonly reason?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Deploys and hooks
// ---------------------------------------------------------------------------------------------------------

export interface DeployedImages {
  readonly stable?: string;
  readonly canary?: string;
}

export interface PreTrafficHook {
  /** Short name for reports, e.g. `migrate`. */
  readonly name: string;
  /** Shell line (local) or container command (ECS one-off task). */
  readonly command: string;
  readonly timeoutMs: number;
}

export interface HookOutcome {
  readonly ok: boolean;
  /** Null when the hook never exited (timeout, could not start). */
  readonly exitCode: number | null;
  /** Where the full log is (file path, CloudWatch log stream ARN/URL). */
  readonly logLocation?: string;
  readonly message: string;
  readonly durationMs?: number;
}

// ---------------------------------------------------------------------------------------------------------
// Plan and state
// ---------------------------------------------------------------------------------------------------------

/**
 * Limits and analysis settings, keyed as the metric declarations in `metrics.ts` name them; a new metric adds
 * its own key there (hence the index signature), not here.
 */
export interface AnalysisThresholds {
  /** Maximum share of 5xx responses (0.01 = 1 %). */
  readonly max5xxRate: number;
  readonly maxP95Ms: number;
  readonly maxUnhealthyTargets: number;
  /** Fewer requests than this in a window is `inconclusive` for latency (no evidence either way). */
  readonly minRequests: number;
  /** One-sided confidence a rate needs to pass (0.95: its 95 % upper bound is under the limit). */
  readonly confidence?: number;
  /** One-sided confidence a rate needs to fail (its lower bound over the limit, or over stable's plus the margin). */
  readonly failConfidence?: number;
  /** Failed requests (5xx) a rate needs before it can fail at all. */
  readonly minFailures?: number;
  /** Relative margin over stable (0.5 = canary may be 50 % worse) before the baseline comparison fails. */
  readonly baselineMargin?: number;
  readonly [limit: string]: number | undefined;
}

/** What to do with an inconclusive analysis: stop and ask a person, or treat it as a failure. */
export type InconclusivePolicy = "pause" | "fail";

export type DriftPolicy = "pause" | "rollback";

export interface RolloutPlan {
  /** Canary weight per step, strictly increasing, ending at 100. */
  readonly steps: readonly number[];
  /** Time each step bakes (is analysed) before the next one. */
  readonly bakeMs: number;
  /** Analysis interval inside a bake. */
  readonly intervalMs: number;
  /** Failed analyses tolerated per step; one more rolls back. */
  readonly failureLimit: number;
  /** Failed analyses tolerated over the whole rollout (all steps); one more rolls back. */
  readonly rolloutFailureLimit: number;
  /** Failed analyses tolerated in a row (across steps); one more rolls back. */
  readonly consecutiveFailureLimit: number;
  /** A step whose evidence is still inconclusive when its bake ends keeps baking up to this long. */
  readonly maxBakeMs: number;
  /** Judge the canary against stable over the same windows. */
  readonly baseline: boolean;
  /** Consecutive analyses that could not be taken (errors) tolerated; one more rolls back. */
  readonly consecutiveErrorLimit: number;
  readonly inconclusivePolicy: InconclusivePolicy;
  /** Wait for an operator approval (`resume`, or `promote` to skip ahead) before shifting to each step. */
  readonly approvalBeforeEachStep: boolean;
  /**
   * What an analysis interval does when the router shows other weights than the plan (drift: someone changed
   * the listener) or cannot be read: `rollback` (the default when absent) or `pause` for a person.
   */
  readonly driftPolicy?: DriftPolicy;
  readonly thresholds: AnalysisThresholds;
  /** Paths probed on the canary every interval. */
  readonly probePaths: readonly string[];
  readonly hooks: readonly PreTrafficHook[];
  /** How long to read weights back before declaring a shift unverified. */
  readonly verifyTimeoutMs: number;
  readonly verifyRetryMs: number;
}

/** Every phase of a rollout, in the order a rollout that runs to the end passes through them. */
export const ROLLOUT_PHASES = [
  "planned", "deploying", "pre-traffic-hooks", "shifting", "baking", "analysing", "awaiting-approval", "paused",
  "promoting", "promoted", "rolling-back", "rolled-back", "aborted", "rollback-failed",
] as const;
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];

/** Phases after which nothing runs any more. `rollback-failed` needs a person (see docs/runbook.md). */
export const TERMINAL_PHASES: readonly RolloutPhase[] = ["promoted", "rolled-back", "aborted", "rollback-failed"];

export interface PhaseTransition {
  readonly from: RolloutPhase;
  readonly to: RolloutPhase;
  readonly at: EpochMs;
  readonly step?: number;
  readonly reason?: string;
}

/** One analysis round, kept for the report's timeline. */
export interface AnalysisRecord {
  readonly at: EpochMs;
  readonly step: number;
  readonly canaryWeight: number;
  readonly verdict: MeasurementStatus;
  readonly measurements: readonly Measurement[];
}

/** One weight change as read back from the router. */
export interface WeightRecord {
  readonly at: EpochMs;
  readonly step?: number;
  readonly weights: Weights;
  readonly verified: boolean;
}

/** Who holds (or held) an environment's lock. */
export interface LockHolder {
  /** Unique per run, e.g. a random id; also the rollout id. */
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly user?: string;
  readonly startedAt: EpochMs;
  /** Last sign of life; stale detection uses it where pid liveness cannot be checked (another machine). */
  readonly heartbeatAt?: EpochMs;
  readonly command?: string;
}

/** Persisted state of one rollout: enough to show `status` elsewhere and to `resume` after a crash. */
export interface RolloutState {
  readonly schemaVersion: 1;
  readonly id: string;
  readonly environment: string;
  readonly target: string;
  /** Image being rolled out (the canary's). */
  readonly image: string;
  /** Image stable ran when the rollout started (what a rollback keeps). */
  readonly stableImage?: string;
  readonly plan: RolloutPlan;
  readonly phase: RolloutPhase;
  /** Current plan step (0-based); -1 before the first shift. */
  readonly stepIndex: number;
  /** Last weights read back from the router. */
  readonly weights: Weights;
  /**
   * Written *before* each change (write-ahead): what the engine is about to ask the router for. When it differs
   * from `weights`, a change was in flight (or failed) and the router may show either: `status` shows both, and
   * `resume`/`abort` read the router before acting.
   */
  readonly intendedWeights?: Weights;
  /** What became of each operator request this rollout read (acknowledged or refused), for the requester. */
  readonly requestLog?: readonly RequestRecord[];
  /** Failed analyses in the current step. */
  readonly failures: number;
  /** Failed analyses over the whole rollout (absent in states written before it was counted). */
  readonly totalFailures?: number;
  /** Failed analyses in a row, across steps. */
  readonly consecutiveFailures?: number;
  readonly consecutiveErrors: number;
  /** Why the rollout is rolling back / rolled back / aborted / paused / failed. */
  readonly reason?: string;
  /** Final phase of the rollback in progress: `aborted` when a person or a signal asked, else `rolled-back`. */
  readonly rollbackOutcome?: "rolled-back" | "aborted";
  /** Phase to return to after a pause. */
  readonly pausedFrom?: RolloutPhase;
  readonly holder: LockHolder;
  readonly startedAt: EpochMs;
  readonly updatedAt: EpochMs;
  readonly finishedAt?: EpochMs;
  /** When the current bake began (a resumed rollout bakes the rest, not again from zero). */
  readonly bakeStartedAt?: EpochMs;
  readonly transitions: readonly PhaseTransition[];
  readonly weightHistory: readonly WeightRecord[];
  readonly analyses: readonly AnalysisRecord[];
  readonly hookOutcomes: readonly (HookOutcome & { readonly hook: string })[];
}

// ---------------------------------------------------------------------------------------------------------
// State store, operator requests, lock
// ---------------------------------------------------------------------------------------------------------

/**
 * Requests another process (or the same operator in another shell) makes to a running rollout:
 * `abort` -> verified rollback; `promote` -> skip the remaining steps (also approves the step awaiting approval);
 * `resume` -> continue a paused rollout.
 */
export const OPERATOR_REQUEST_KINDS = ["abort", "promote", "resume"] as const;
export type OperatorRequestKind = (typeof OPERATOR_REQUEST_KINDS)[number];

export interface OperatorRequest {
  /** Unique per request: the acknowledgement in the state names it. */
  readonly id: string;
  /** The rollout it is meant for: any other rollout discards it. */
  readonly rolloutId: string;
  readonly kind: OperatorRequestKind;
  readonly at: EpochMs;
  readonly by: string;
  readonly reason?: string;
}

/** How a rollout answered one operator request; the CLI that made it waits for this. */
export interface RequestRecord {
  readonly id: string;
  readonly kind: OperatorRequestKind;
  readonly by: string;
  readonly at: EpochMs;
  readonly outcome: "acted" | "refused";
  readonly note: string;
}

export type LockResult =
  | { readonly ok: true; readonly holder: LockHolder; readonly tookOverFrom?: LockHolder }
  | { readonly ok: false; readonly heldBy: LockHolder; readonly stale: boolean };

export interface LockInfo {
  readonly holder: LockHolder;
  /** True when the holder is known to be gone (dead pid on this host, or heartbeat past the timeout). */
  readonly stale: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Time and progress
// ---------------------------------------------------------------------------------------------------------

export type RolloutEvent =
  | { readonly type: "phase"; readonly at: EpochMs; readonly transition: PhaseTransition }
  | { readonly type: "weights"; readonly at: EpochMs; readonly record: WeightRecord }
  | { readonly type: "analysis"; readonly at: EpochMs; readonly record: AnalysisRecord; readonly bakeRemainingMs: number }
  | { readonly type: "hook"; readonly at: EpochMs; readonly hook: string; readonly outcome: HookOutcome }
  | { readonly type: "request"; readonly at: EpochMs; readonly request: OperatorRequest }
  | { readonly type: "log"; readonly at: EpochMs; readonly level: "info" | "warn" | "error"; readonly message: string };

import { isTerminal, transition } from "../../rollout/engine/machine.ts";
import { errorRateShowsAbove } from "../../rollout/engine/evaluate.ts";
import type { AnalysisThresholds, EpochMs, LockHolder, RolloutPhase, RolloutState, VersionMetricsSample, Weights } from "../../rollout/engine/model.ts";
import { shiftVerified, STABLE_ONLY } from "../../rollout/engine/shift.ts";
import { StateConflictError, type VersionedState } from "../../rollout/engine/ports.ts";
import { errorMessage } from "../../rollout/shared/errors.ts";

/**
 * The rollout watchdog's core, shared by the Lambda (lambdas/rollout-watchdog/index.ts) and the local
 * watchdog process (rollout/targets/local/watchdog.ts). It decides from facts alone (the stored state, the lock,
 * the canary's health) and acts through ports, so that both targets take the same decision the same way:
 * claim the rollout in the state (write-ahead), move traffic to stable 100 / canary 0, read it back, record
 * the rollback, release a dead holder's lock, notify. The adapters differ; nothing here does I/O itself.
 */

/** Prefix of every reason the watchdog records: `status` and the orchestrator recognise a watchdog rollback by it. */
export const WATCHDOG_REASON_PREFIX = "rolled back by the rollout watchdog";

/** Where the AWS target keeps rollout state in its bucket (`<prefix><environment>/`): the orchestrator's S3 store, the watchdog Lambda and its IAM policy. */
export const ROLLOUT_STATE_PREFIX = "rollouts/";

/** The watchdog Lambda's defaults when its component is not told otherwise, seconds (WatchdogSettings in ms). */
export const DEFAULT_HEARTBEAT_STALE_AFTER_SECONDS = 120;
export const DEFAULT_ABANDONED_AFTER_SECONDS = 900;

/** Phases in which the canary may carry traffic (before `shifting` it has none). */
const CANARY_MAY_HAVE_TRAFFIC: readonly RolloutPhase[] = ["shifting", "baking", "analysing", "awaiting-approval", "paused", "promoting", "rolling-back"];
/** Phases a process leaves on purpose to wait for a person (pauseMode `exit`): no holder is expected. */
const WAITING_FOR_A_PERSON: readonly RolloutPhase[] = ["paused", "awaiting-approval"];

export interface WatchdogSettings {
  /**
   * A holder whose heartbeat is older than this is gone. Where the holder's pid can be checked (same host)
   * the pid decides instead: dead is gone at once, alive is alive.
   */
  readonly heartbeatStaleAfterMs: number;
  /**
   * A rollout whose orchestrator has been gone this long (since its last heartbeat) is rolled back even with a
   * healthy canary: nobody analyses it any more. Paused rollouts and promotions are left to a person.
   */
  readonly abandonedAfterMs: number;
}

/** What the watchdog knows about the canary right now. */
export interface CanaryHealth {
  /** Why the canary is failing (alarm names and reasons, or measurements against the plan's thresholds); empty when not. */
  readonly failing: readonly string[];
  /** Since when it has been failing (the oldest alarm transition, or the first failing sample). */
  readonly failingSince?: EpochMs;
}

export interface LockView {
  readonly holder: LockHolder;
  /** Known only where the pid can be checked (the local target); undefined on AWS. */
  readonly pidAlive?: boolean;
}

export interface Observation {
  readonly now: EpochMs;
  readonly state: RolloutState | undefined;
  readonly lock: LockView | undefined;
  readonly canary: CanaryHealth;
}

export type Orchestrator =
  | { readonly status: "alive"; readonly holder: LockHolder }
  | { readonly status: "gone"; readonly holder?: LockHolder; readonly since: EpochMs; readonly why: string };

export type Decision =
  | { readonly action: "none"; readonly why: string }
  | { readonly action: "roll-back"; readonly reason: string; readonly outcome: "rolled-back" | "aborted"; readonly releaseLockOf?: LockHolder };

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

/** Who drives the rollout, judged from the lock: a live holder, or gone (dead pid, stale heartbeat, no lock). */
export function orchestratorOf(observation: Observation, state: RolloutState, settings: WatchdogSettings): Orchestrator {
  const { lock, now } = observation;
  if (lock === undefined) return { status: "gone", since: state.updatedAt, why: "no process holds the rollout's lock" };
  const heartbeat = lock.holder.heartbeatAt ?? lock.holder.startedAt;
  if (lock.pidAlive === false) return { status: "gone", holder: lock.holder, since: heartbeat, why: `its process (pid ${lock.holder.pid} on ${lock.holder.host}) is dead` };
  // A live pid on this host is definitive: a local orchestrator renews its heartbeat only between steps.
  if (lock.pidAlive === true) return { status: "alive", holder: lock.holder };
  if (now - heartbeat > settings.heartbeatStaleAfterMs) {
    return { status: "gone", holder: lock.holder, since: heartbeat, why: `its heartbeat is ${seconds(now - heartbeat)} old (stale after ${seconds(settings.heartbeatStaleAfterMs)})` };
  }
  return { status: "alive", holder: lock.holder };
}

/**
 * How long a live orchestrator is given to act on a failing canary before the watchdog acts instead: enough
 * for its analysis to exhaust the failure limit and verify a rollback. Past it, the orchestrator is alive
 * (its heartbeat runs) but evidently not acting (hung in a call, or blind).
 */
export function liveGraceMs(state: RolloutState): number {
  return (state.plan.failureLimit + 2) * state.plan.intervalMs + state.plan.verifyTimeoutMs;
}

/** The decision, from facts only. Rolls back only what a person would: see docs/rollout.md ("Watchdog"). */
export function decide(observation: Observation, settings: WatchdogSettings): Decision {
  const { state, canary, now } = observation;
  if (state === undefined) return { action: "none", why: "no rollout recorded" };
  const name = `rollout ${state.id}`;
  if (isTerminal(state.phase)) return { action: "none", why: `${name} is ${state.phase}: no rollout in progress` };
  if (!CANARY_MAY_HAVE_TRAFFIC.includes(state.phase)) return { action: "none", why: `${name} is ${state.phase}: the canary receives no traffic yet` };

  const orchestrator = orchestratorOf(observation, state, settings);
  const failing = canary.failing.length > 0;
  const gone = orchestrator.status === "gone";
  const releaseLockOf = gone ? orchestrator.holder : undefined;
  const rollBack = (why: string, outcome: "rolled-back" | "aborted" = "rolled-back"): Decision => ({
    action: "roll-back",
    reason: `${WATCHDOG_REASON_PREFIX}: ${why}`,
    outcome,
    ...(releaseLockOf ? { releaseLockOf } : {}),
  });
  const canaryWhy = `the canary is failing (${canary.failing.join("; ")})`;

  if (state.phase === "rolling-back") {
    if (!gone) return { action: "none", why: `${name} is rolling back in ${orchestrator.holder.id}` };
    return rollBack(`finished the interrupted rollback (${state.reason ?? "no reason recorded"}); the orchestrator is gone: ${orchestrator.why}`, state.rollbackOutcome ?? "rolled-back");
  }
  if (gone) {
    const waiting = WAITING_FOR_A_PERSON.includes(state.phase) && orchestrator.holder === undefined;
    if (failing) return rollBack(`${canaryWhy} ${waiting ? `while ${state.phase}` : `and the orchestrator is gone: ${orchestrator.why}`}`);
    if (waiting) return { action: "none", why: `${name} is ${state.phase}, waiting for a person; the canary is healthy` };
    if (state.phase === "promoting") return { action: "none", why: `${name} is promoting a canary that passed analysis; \`rollout resume\` finishes it (the orchestrator is gone: ${orchestrator.why})` };
    const goneFor = now - orchestrator.since;
    if (goneFor >= settings.abandonedAfterMs) {
      return rollBack(`nothing has analysed the canary for ${seconds(goneFor)} (deadline ${seconds(settings.abandonedAfterMs)}): the orchestrator is gone: ${orchestrator.why}`);
    }
    return { action: "none", why: `${name}: the orchestrator is gone (${orchestrator.why}) but the canary is healthy; rolled back in ${seconds(settings.abandonedAfterMs - goneFor)} unless resumed` };
  }
  if (!failing) return { action: "none", why: `${name} is ${state.phase} in ${orchestrator.holder.id}; the canary is healthy` };
  const failingFor = now - (canary.failingSince ?? now);
  const grace = liveGraceMs(state);
  if (failingFor > grace) {
    return rollBack(`${canaryWhy} for ${seconds(failingFor)} and the live orchestrator ${orchestrator.holder.id} has not rolled back within ${seconds(grace)}`);
  }
  return { action: "none", why: `${name}: ${canaryWhy}; the live orchestrator ${orchestrator.holder.id} acts on it (watchdog acts after ${seconds(grace - failingFor)} more)` };
}

/** The canary's measured window (the engine's sample) against the plan's thresholds (local target; on AWS the alarms judge). */
export type CanarySample = Pick<VersionMetricsSample, "requests" | "errors5xx" | "p95Ms"> & { readonly healthy: boolean };

export function canaryFailures(sample: CanarySample, thresholds: AnalysisThresholds): string[] {
  const problems: string[] = [];
  if (!sample.healthy) problems.push("canary fails the router's health check");
  if (sample.requests >= thresholds.minRequests) {
    // The analysis's own rule (docs/rollout.md, "Rates are judged statistically"): a raw ratio is no evidence.
    const rate = sample.errors5xx / sample.requests;
    const judged = errorRateShowsAbove({ failures: sample.errors5xx, trials: sample.requests }, thresholds);
    if (judged.above) problems.push(`5xx rate ${(rate * 100).toFixed(1)}% over ${sample.requests} requests, lower bound ${(judged.lower * 100).toFixed(2)}% > ${thresholds.max5xxRate * 100}%`);
    if (sample.p95Ms !== undefined && sample.p95Ms > thresholds.maxP95Ms) problems.push(`p95 ${Math.round(sample.p95Ms)} ms > ${thresholds.maxP95Ms} ms`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// Acting
// ---------------------------------------------------------------------------------------------------------

export interface WatchdogPorts {
  loadState(): Promise<VersionedState | undefined>;
  /** Writes `state` only if the stored version is still `version`; returns the new version or throws StateConflictError (rollout/engine/ports.ts). */
  saveState(state: RolloutState, version: string): Promise<string>;
  setWeights(weights: Weights): Promise<void>;
  readWeights(): Promise<Weights>;
  /** Removes the lock only if `holder` still holds it. */
  releaseLock(holder: LockHolder): Promise<void>;
  notify(subject: string, message: string): Promise<void>;
  sleep(ms: number): Promise<void>;
  now(): EpochMs;
  log(line: Record<string, unknown>): void;
}

export type WatchdogOutcome =
  | { readonly result: "no-op"; readonly why: string }
  | { readonly result: "rolled-back"; readonly rolloutId: string; readonly reason: string; readonly verifiedAt: EpochMs }
  | { readonly result: "conflict"; readonly why: string }
  | { readonly result: "not-verified"; readonly rolloutId: string; readonly detail: string };

/** Raised after a rollback that could not be verified was recorded and notified, so that the caller's retries (Lambda, DLQ) run. */
export class RollbackNotVerifiedError extends Error {}

/**
 * One watchdog round: observe, decide, and when the decision is to roll back, do it the way the orchestrator
 * would. The claim (`rolling-back`, conditional on the version read) comes before any traffic moves, so an
 * orchestrator that comes back sees the rollout taken over and stops; a conflicting write means someone
 * else changed the rollout meanwhile and the watchdog leaves it to them this round. Idempotent: a second
 * round finds the rollout terminal and does nothing.
 */
export async function runWatchdogOnce(ports: WatchdogPorts, observe: (state: RolloutState | undefined) => Promise<Omit<Observation, "state" | "now">>, settings: WatchdogSettings): Promise<WatchdogOutcome> {
  const stored = await ports.loadState();
  const facts = await observe(stored?.state);
  const decision = decide({ ...facts, state: stored?.state, now: ports.now() }, settings);
  if (decision.action === "none" || stored === undefined) {
    const why = decision.action === "none" ? decision.why : "no rollout recorded";
    ports.log({ level: "info", decision: "none", why });
    return { result: "no-op", why };
  }
  const at = ports.now();
  let state = stored.state;
  let version = stored.version;
  try {
    if (state.phase !== "rolling-back") {
      state = { ...transition({ ...state, rollbackOutcome: decision.outcome }, "rolling-back", at, decision.reason), updatedAt: at };
      version = await ports.saveState(state, version);
    }
  } catch (error) {
    if (error instanceof StateConflictError) {
      ports.log({ level: "warn", decision: "conflict", why: error.message });
      return { result: "conflict", why: error.message };
    }
    throw error;
  }
  ports.log({ level: "warn", decision: "roll-back", rolloutId: state.id, reason: decision.reason });

  // The engine's own verify loop, with the plan's deadline: "verified" means the same for both.
  const shift = await shiftVerified(ports, STABLE_ONLY, { now: ports.now, sleep: ports.sleep }, { timeoutMs: state.plan.verifyTimeoutMs, retryMs: state.plan.verifyRetryMs });
  const verifiedAt = ports.now();
  const record = { at: verifiedAt, ...(state.stepIndex >= 0 ? { step: state.stepIndex } : {}), weights: STABLE_ONLY, verified: shift.verified };
  state = { ...state, weightHistory: [...state.weightHistory, record], ...(shift.verified ? { weights: STABLE_ONLY } : {}), updatedAt: verifiedAt };
  const subject = `${state.environment}: rollout ${state.id}`;
  if (!shift.verified) {
    // Stays `rolling-back`: the next round (a retry, the schedule, the local loop) tries again; a person sees why.
    const detail = `watchdog could not verify stable 100 / canary 0 within ${state.plan.verifyTimeoutMs} ms (${shift.detail}); retrying`;
    await ports.saveState({ ...state, reason: `${decision.reason}; ${detail}` }, version).catch((error: unknown) => ports.log({ level: "error", problem: "could not record the unverified rollback", error: errorMessage(error) }));
    await ports.notify(`${subject} ROLLBACK NOT VERIFIED`, `${decision.reason}\n${detail}\nSee docs/runbook.md ("Watchdog").`).catch((error: unknown) => ports.log({ level: "error", problem: "notify failed", error: errorMessage(error) }));
    ports.log({ level: "error", decision: "not-verified", rolloutId: state.id, detail: shift.detail });
    return { result: "not-verified", rolloutId: state.id, detail };
  }
  // The canary keeps running with no traffic: resetting it needs a deploy, which is the next rollout's job.
  const reason = `${decision.reason} (verified stable 100 / canary 0; the canary still runs with no traffic)`;
  const final = { ...transition(state, decision.outcome, verifiedAt, reason), updatedAt: verifiedAt };
  try {
    await ports.saveState(final, version);
  } catch (error) {
    // Traffic is on stable either way; a person must look at who wrote the state meanwhile.
    ports.log({ level: "error", problem: "traffic is on stable but the final state could not be recorded", error: errorMessage(error) });
  }
  if (decision.releaseLockOf) await ports.releaseLock(decision.releaseLockOf).catch((error: unknown) => ports.log({ level: "warn", problem: "could not release the dead holder's lock", error: errorMessage(error) }));
  await ports.notify(`${subject} rolled back by the watchdog`, `${reason}\nTraffic: stable 100 / canary 0, verified at ${new Date(verifiedAt).toISOString()}.`).catch((error: unknown) =>
    ports.log({ level: "error", problem: "notify failed", error: errorMessage(error) }),
  );
  return { result: "rolled-back", rolloutId: state.id, reason, verifiedAt };
}

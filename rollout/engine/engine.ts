import { analyse } from "./analysers.ts";
import { verdictOf } from "./evaluate.ts";
import { isTerminal, transition } from "./machine.ts";
import { DEFAULT_DRIFT_POLICY } from "./plan.ts";
import type { ShiftResult } from "./shift.ts";
import { formatWeights, sameWeights, shiftVerified, STABLE_ONLY } from "./shift.ts";
import { takenOver } from "./takeover.ts";
import type { AnalysisRecord, Measurement, OperatorRequest, RequestRecord, RolloutEvent, RolloutPhase, RolloutPlan, RolloutState, Version, Weights } from "./model.ts";
import { type Analyser, type Clock, type Deployer, type HookRunner, type Reporter, StateConflictError, type StateStore, type TrafficRouter } from "./ports.ts";
import { errorMessage } from "../shared/errors.ts";

export interface EngineDependencies {
  readonly router: TrafficRouter;
  readonly deployer: Deployer;
  readonly hooks: HookRunner;
  readonly store: StateStore;
  readonly analysers: readonly Analyser[];
  readonly clock: Clock;
  readonly reporter: Reporter;
}

export interface RunOptions {
  /** Aborted on SIGINT/SIGTERM (or CI cancel): the rollout ends in a verified rollback. */
  readonly signal?: AbortSignal;
  /**
   * A pause (inconclusive analysis, approval before a step) either waits in this process for an operator request
   * (`wait`, interactive terminals) or returns the paused state at once (`exit`, so CI can exit 3 and a later
   * `resume` continues). Traffic stays where it is while paused: a pause is a decision, not an error.
   */
  readonly pauseMode: "wait" | "exit";
  /** How often operator requests are read while waiting; defaults to min(1 s, interval). */
  readonly requestPollMs?: number;
  /** Set by `resume` on a rollout awaiting approval or paused: that resume is the approval. */
  readonly approved?: boolean;
  /** Set by `abort` on a `rollback-failed` rollout: try the rollback again (the only way out of that phase). */
  readonly retryFailedRollback?: string;
}

export type NewRolloutInput = Pick<RolloutState, "id" | "environment" | "target" | "image" | "stableImage" | "plan" | "holder"> & { readonly now: number };

export function newRolloutState(input: NewRolloutInput): RolloutState {
  return {
    schemaVersion: 1,
    id: input.id,
    environment: input.environment,
    target: input.target,
    image: input.image,
    ...(input.stableImage ? { stableImage: input.stableImage } : {}),
    plan: input.plan,
    phase: "planned",
    stepIndex: -1,
    weights: { stable: 100, canary: 0 },
    failures: 0,
    totalFailures: 0,
    consecutiveFailures: 0,
    consecutiveErrors: 0,
    holder: input.holder,
    startedAt: input.now,
    updatedAt: input.now,
    transitions: [],
    weightHistory: [],
    analyses: [],
    hookOutcomes: [],
  };
}

/** Thrown inside the run to end it with a verified rollback for `reason`. */
class RollbackRequired extends Error {
  constructor(
    readonly reason: string,
    readonly outcome: "rolled-back" | "aborted",
  ) {
    super(reason);
  }
}

/** Thrown to leave the run while paused (pauseMode `exit`). */
class PausedExit extends Error {}

/** Thrown when the stored state shows the rollout taken over (by the watchdog): leave it to the watchdog, no further step. */
class TakenOver extends Error {
  constructor(readonly stored: RolloutState) {
    super(stored.reason ?? stored.phase);
  }
}

const LOCK_RENEW_MS = 5_000;
/** A request older than this is discarded unread: whoever made it has long stopped waiting for an answer. */
export const REQUEST_TTL_MS = 120_000;

function summarise(measurements: readonly Measurement[], status: Measurement["status"]): string {
  return measurements
    .filter((measurement) => measurement.status === status)
    .map((measurement) => measurement.message)
    .join("; ");
}

/**
 * Drives one rollout from its current (possibly resumed) state to a terminal phase, or to `paused` in
 * pauseMode `exit`. Never throws for rollout failures: every failure, abort and signal ends in a verified
 * rollback, or in `rollback-failed` when even that cannot be verified.
 */
export async function runRollout(dependencies: EngineDependencies, initial: RolloutState, options: RunOptions): Promise<RolloutState> {
  return new RolloutRun(dependencies, initial, options).execute();
}

class RolloutRun {
  private state: RolloutState;
  private lastRenewal: number;
  private readonly pollMs: number;
  /** A `promote` queued before this process picked the rollout up (e.g. `rollout promote` with no process running). */
  private promoteRequested = false;
  /** Said once per run: a router without a health view leaves readiness to the analysis. */
  private healthUnknownSaid = false;

  constructor(
    private readonly deps: EngineDependencies,
    initial: RolloutState,
    private readonly options: RunOptions,
  ) {
    this.state = initial;
    this.lastRenewal = deps.clock.now();
    this.pollMs = options.requestPollMs ?? Math.min(1_000, initial.plan.intervalMs);
  }

  private get plan(): RolloutPlan {
    return this.state.plan;
  }

  async execute(): Promise<RolloutState> {
    if (this.state.phase === "rollback-failed" && this.options.retryFailedRollback) {
      await this.enter("rolling-back", this.options.retryFailedRollback, { rollbackOutcome: "aborted" });
    }
    if (isTerminal(this.state.phase)) return this.state;
    await this.reconcileWithRouter();
    try {
      if (this.state.phase === "rolling-back") {
        throw new RollbackRequired(this.state.reason ?? "an interrupted rollback was resumed", this.state.rollbackOutcome ?? "rolled-back");
      }
      // Requests made while no process was running (abort/promote of a paused or crashed rollout) come first.
      this.promoteRequested = (await this.readRequests(["promote", "resume"])) === "promote";
      await this.advance();
    } catch (error) {
      if (error instanceof PausedExit) return this.state;
      if (error instanceof TakenOver) return this.yieldTo(error.stored);
      const rollback = error instanceof RollbackRequired ? error : new RollbackRequired(`${this.state.phase} failed: ${errorMessage(error)}`, "rolled-back");
      await this.rollBack(rollback.reason, rollback.outcome);
    }
    return this.state;
  }

  // ---- bookkeeping ---------------------------------------------------------------------------------------

  private emit(event: RolloutEvent): void {
    try {
      this.deps.reporter.emit(event);
    } catch {
      // A broken progress display must never change what happens to traffic.
    }
  }

  private log(level: "info" | "warn" | "error", message: string): void {
    this.emit({ type: "log", at: this.deps.clock.now(), level, message });
  }

  /**
   * Never overwrites a rollout someone else (the watchdog) has taken over: its record is the truth. The save is
   * conditional on the version read for that check, so a claim written between the check and the save is not
   * overwritten either: the save fails and the run yields to it. A state that cannot be read (after the store's
   * own retries) shows no claim, and the save is then unconditional, as every save was before ADR 0088.
   */
  private async commit(next: RolloutState): Promise<void> {
    const stored = await this.deps.store.loadVersioned(this.state.environment).catch(() => undefined);
    this.throwIfTakenOver(stored?.state);
    this.state = { ...next, updatedAt: this.deps.clock.now() };
    try {
      await this.deps.store.save(this.state, stored?.version);
    } catch (error) {
      if (!(error instanceof StateConflictError)) throw error;
      const now = await this.readStored();
      this.throwIfTakenOver(now);
      // A retried write whose first attempt landed (its answer was lost) finds its own state: that is a success.
      if (JSON.stringify(now) !== JSON.stringify(this.state)) throw error;
    }
  }

  private async enter(phase: RolloutPhase, reason?: string, patch: Partial<RolloutState> = {}): Promise<void> {
    const at = this.deps.clock.now();
    const next = transition({ ...this.state, ...patch }, phase, at, reason);
    const record = next.transitions.at(-1);
    await this.commit(next);
    if (record) this.emit({ type: "phase", at, transition: record });
  }

  /** The stored state; undefined when it cannot be read (a store that cannot be read shows no takeover). */
  private readStored(): Promise<RolloutState | undefined> {
    return this.deps.store.load(this.state.environment).catch(() => undefined);
  }

  /** Stops this run (throws TakenOver) when `stored` shows another party ended the rollout. */
  private throwIfTakenOver(stored: RolloutState | undefined): void {
    const taken = takenOver(this.state, stored);
    if (taken) throw new TakenOver(taken);
  }

  /** Stops this run (throws TakenOver) when another party ended the rollout in the store. */
  private async checkTakenOver(): Promise<void> {
    this.throwIfTakenOver(await this.readStored());
  }

  /**
   * Leaves the rollout to the party that took it over, and returns what it recorded (waiting, bounded, for it to
   * finish). A takeover is always a rollback, so putting traffic on stable here can only help it: it undoes a
   * shift of ours that raced with the takeover, and never writes the state.
   */
  private async yieldTo(stored: RolloutState): Promise<RolloutState> {
    this.log("warn", `rollout taken over, no further steps: ${stored.reason ?? stored.phase}`);
    const seen = await this.deps.router.readWeights().catch(() => undefined);
    if (seen === undefined || !sameWeights(seen, STABLE_ONLY)) {
      const own = this.state;
      await this.shiftVerified(STABLE_ONLY, undefined);
      this.state = own;
    }
    const deadline = this.deps.clock.now() + this.plan.verifyTimeoutMs + 5_000;
    let latest = stored;
    while (!isTerminal(latest.phase) && this.deps.clock.now() < deadline) {
      await this.deps.clock.sleep(this.pollMs);
      latest = (await this.readStored()) ?? latest;
    }
    this.state = latest;
    const record = latest.transitions.at(-1);
    if (record) this.emit({ type: "phase", at: this.deps.clock.now(), transition: record });
    return latest;
  }

  private checkSignal(): void {
    const signal = this.options.signal;
    if (signal?.aborted) throw new RollbackRequired(`interrupted: ${typeof signal.reason === "string" ? signal.reason : "signal received"}`, "aborted");
  }

  private async renewLockIfDue(): Promise<void> {
    const now = this.deps.clock.now();
    if (now - this.lastRenewal < LOCK_RENEW_MS) return;
    this.lastRenewal = now;
    await this.deps.store.renewLock(this.state.environment, this.state.holder);
  }

  /**
   * Sleeps `ms` in slices, reading operator requests between slices. Returns `promote` when asked to skip the
   * remaining steps and `resume` when asked to continue; throws for abort and signals.
   */
  private async wait(ms: number, accept: readonly OperatorRequest["kind"][]): Promise<OperatorRequest["kind"] | undefined> {
    const until = this.deps.clock.now() + ms;
    for (;;) {
      this.checkSignal();
      await this.checkTakenOver();
      const requested = await this.readRequests(accept);
      if (requested) return requested;
      await this.renewLockIfDue();
      const left = until - this.deps.clock.now();
      if (left <= 0) return undefined;
      await this.deps.clock.sleep(Math.min(left, this.pollMs), this.options.signal);
    }
  }

  /**
   * Reads the queued requests and answers each one of this rollout in the state (acted or refused, with why),
   * where the requester waits for it. Requests for another rollout or past REQUEST_TTL_MS never act. Of several
   * requests, an abort wins; otherwise the first acceptable one acts and the others are refused as superseded.
   */
  private async readRequests(accept: readonly OperatorRequest["kind"][]): Promise<OperatorRequest["kind"] | undefined> {
    const now = this.deps.clock.now();
    const ours: OperatorRequest[] = [];
    for (const request of await this.deps.store.takeRequests(this.state.environment)) {
      if (request.rolloutId !== this.state.id) {
        this.log("warn", `discarded ${request.kind} from ${request.by}: it was made for rollout ${request.rolloutId}, not ${this.state.id}`);
      } else if (now - request.at > REQUEST_TTL_MS) {
        this.log("warn", `discarded ${request.kind} from ${request.by}: expired (made ${Math.round((now - request.at) / 1000)} s ago, limit ${REQUEST_TTL_MS / 1000} s)`);
        await this.answer(request, "refused", "expired before the rollout read it");
      } else {
        this.emit({ type: "request", at: now, request });
        ours.push(request);
      }
    }
    const chosen = ours.find((request) => request.kind === "abort") ?? ours.find((request) => accept.includes(request.kind));
    for (const request of ours) {
      if (request === chosen) continue;
      const why = chosen ? `superseded by ${chosen.kind} from ${chosen.by}` : `nothing to ${request.kind} while ${this.state.phase}`;
      this.log("warn", `refused ${request.kind} from ${request.by}: ${why}`);
      await this.answer(request, "refused", why);
    }
    if (!chosen) return undefined;
    if (chosen.kind === "abort") {
      await this.answer(chosen, "acted", `rolling back from ${this.state.phase}`);
      throw new RollbackRequired(`aborted by ${chosen.by}${chosen.reason ? `: ${chosen.reason}` : ""}`, "aborted");
    }
    await this.answer(chosen, "acted", `${chosen.kind} accepted while ${this.state.phase}`);
    return chosen.kind;
  }

  private async answer(request: OperatorRequest, outcome: RequestRecord["outcome"], note: string): Promise<void> {
    const record: RequestRecord = { id: request.id, kind: request.kind, by: request.by, at: this.deps.clock.now(), outcome, note };
    await this.commitQuietly({ ...this.state, requestLog: [...(this.state.requestLog ?? []), record] });
  }

  /** Requests that arrive while the rollout cannot act on them any more are refused, never left for the next one. */
  private async refuseQueued(): Promise<void> {
    try {
      for (const request of await this.deps.store.takeRequests(this.state.environment)) {
        if (request.rolloutId === this.state.id) await this.answer(request, "refused", `the rollout is ${this.state.phase}`);
      }
    } catch (error) {
      this.log("warn", `could not read operator requests from ${this.deps.store.describe()}: ${errorMessage(error)}`);
    }
  }

  /** Waits for an operator while paused or at a gate; in pauseMode `exit` leaves the run instead. */
  private async holdForOperator(): Promise<"resume" | "promote"> {
    if (this.options.pauseMode === "exit") throw new PausedExit();
    for (;;) {
      const requested = await this.wait(60_000, ["resume", "promote"]);
      if (requested === "resume" || requested === "promote") return requested;
    }
  }

  // ---- traffic -------------------------------------------------------------------------------------------

  /**
   * Sets the weights and reads them back until they match or the verify deadline passes (the shared loop,
   * shift.ts); the deployer records them where its next deploy reads them, when it keeps them at all.
   */
  private async shiftVerified(weights: Weights, signal: AbortSignal | undefined): Promise<ShiftResult> {
    const { clock, router, deployer } = this.deps;
    const record = deployer.recordWeights?.bind(deployer);
    // Write-ahead: a process killed mid-change leaves the intention on record, so `status` can show the exposure.
    // More canary traffic waits for that record (a store failure stops the shift); going back to stable never does.
    if (!this.state.intendedWeights || !sameWeights(this.state.intendedWeights, weights)) {
      const intended = { ...this.state, intendedWeights: weights };
      await (sameWeights(weights, STABLE_ONLY) ? this.commitQuietly(intended) : this.commit(intended));
    }
    const result = await shiftVerified(router, weights, clock, {
      timeoutMs: this.plan.verifyTimeoutMs,
      retryMs: this.plan.verifyRetryMs,
      ...(signal ? { signal } : {}),
      ...(record ? { record } : {}),
    });
    await this.recordWeights(weights, result.verified);
    return result;
  }

  private async recordWeights(weights: Weights, verified: boolean): Promise<void> {
    const at = this.deps.clock.now();
    const record = { at, ...(this.state.stepIndex >= 0 ? { step: this.state.stepIndex } : {}), weights, verified };
    const next = { ...this.state, weightHistory: [...this.state.weightHistory, record], ...(verified ? { weights } : {}) };
    this.emit({ type: "weights", at, record });
    await this.commitQuietly(next);
  }

  /** During a rollback the store failing must not stop traffic from going back to stable. */
  private async commitQuietly(next: RolloutState): Promise<void> {
    try {
      await this.commit(next);
    } catch (error) {
      this.state = next;
      if (error instanceof TakenOver) return;
      this.log("error", `could not save rollout state to ${this.deps.store.describe()}: ${errorMessage(error)}`);
    }
  }

  private async shiftTo(canary: number): Promise<void> {
    await this.checkTakenOver();
    const result = await this.shiftVerified({ stable: 100 - canary, canary }, this.options.signal);
    this.checkSignal();
    if (!result.verified) throw new RollbackRequired(`shift to canary ${canary}% not verified within ${this.plan.verifyTimeoutMs} ms: ${result.detail}`, "rolled-back");
  }

  /**
   * A resumed or aborted rollout starts from what the router shows, not from the state: after a kill mid-shift
   * the state holds only the last verified weights (and the intended ones), the router the truth.
   */
  private async reconcileWithRouter(): Promise<void> {
    if (this.state.phase === "planned") return;
    let seen: Weights;
    try {
      seen = await this.deps.router.readWeights(this.options.signal);
    } catch (error) {
      this.log("warn", `could not read the router before continuing (the next shift reads it again): ${errorMessage(error)}`);
      return;
    }
    if (sameWeights(seen, this.state.weights)) return;
    const intended = this.state.intendedWeights ? ` (intended ${formatWeights(this.state.intendedWeights)})` : "";
    this.log("warn", `the router shows ${formatWeights(seen)}, the state last verified ${formatWeights(this.state.weights)}${intended}: continuing from the router`);
    await this.recordWeights(seen, true);
  }

  /**
   * The router's own health view of `version` must be healthy before it gets (more) traffic, and before a
   * promotion: a rollout never reports success for traffic a healthy canary has not been seen to serve.
   */
  private async requireHealthy(version: Version, before: string): Promise<void> {
    const { router } = this.deps;
    if (!router.readHealth) {
      if (!this.healthUnknownSaid) this.log("warn", `the router cannot report ${version} health; shifts and the promotion rely on the analysis alone`);
      this.healthUnknownSaid = true;
      return;
    }
    let health;
    try {
      health = await router.readHealth(version, this.options.signal);
    } catch (error) {
      health = { status: "unknown" as const, detail: `could not be read: ${errorMessage(error)}` };
    }
    this.checkSignal();
    if (health.status !== "healthy") throw new RollbackRequired(`${version} is not healthy on the router ${before}: ${health.detail}`, "rolled-back");
  }

  /**
   * Each analysis interval reads the router back: other weights than the step's (someone changed the listener)
   * or a router that cannot be read end the interval by the plan's drift policy, with the reason said.
   * `resumed`: it paused, an operator resumed it, and the step's weights are back (verified).
   */
  private async checkDrift(step: number): Promise<"ok" | "promote" | "resumed"> {
    const canary = this.plan.steps[step] as number;
    const planned: Weights = { stable: 100 - canary, canary };
    let problem: string | undefined;
    try {
      const seen = await this.deps.router.readWeights(this.options.signal);
      if (!sameWeights(seen, planned)) problem = `drift: the router shows ${formatWeights(seen)}, the plan says ${formatWeights(planned)} at step ${step + 1} (was the listener changed by hand?)`;
    } catch (error) {
      problem = `the router cannot be read at step ${step + 1}: ${errorMessage(error)}`;
    }
    this.checkSignal();
    if (problem === undefined) return "ok";
    const policy = this.plan.driftPolicy ?? DEFAULT_DRIFT_POLICY;
    this.log("error", `${problem}; drift policy ${policy}`);
    if (policy === "rollback") throw new RollbackRequired(`${problem} (drift policy rollback)`, "rolled-back");
    await this.enter("paused", `${problem} (drift policy pause: \`rollout resume\` puts the step's weights back, \`abort\` rolls back)`);
    const decision = await this.holdForOperator();
    if (decision === "promote") return "promote";
    await this.enter("baking");
    await this.enter("shifting");
    await this.shiftTo(canary);
    await this.enter("baking");
    return "resumed";
  }

  // ---- the rollout ---------------------------------------------------------------------------------------

  private async advance(): Promise<void> {
    const signal = this.options.signal;
    if (this.state.phase === "planned") await this.enter("deploying");
    if (this.state.phase === "deploying") {
      // Whatever an earlier rollout left on the router, the new canary starts at weight 0, verified.
      const zero = await this.shiftVerified(STABLE_ONLY, signal);
      this.checkSignal();
      if (!zero.verified) throw new RollbackRequired(`could not put the canary at weight 0 before deploying it: ${zero.detail}`, "rolled-back");
      await this.deps.deployer.deployCanary(this.state.image, signal);
      this.checkSignal();
      await this.enter("pre-traffic-hooks");
      await this.runHooks();
    } else if (this.state.phase === "pre-traffic-hooks") {
      await this.runHooks();
    }
    if (this.state.phase !== "promoting" && (await this.runSteps()) === "promote") {
      await this.requireHealthy("canary", "before a promotion shifts all traffic to it");
      await this.shiftTo(100);
    }
    await this.promote();
  }

  private async runHooks(): Promise<void> {
    for (const hook of this.plan.hooks) {
      this.checkSignal();
      const outcome = await this.deps.hooks.run(hook, { image: this.state.image, ...(this.options.signal ? { signal: this.options.signal } : {}) });
      this.emit({ type: "hook", at: this.deps.clock.now(), hook: hook.name, outcome });
      await this.commit({ ...this.state, hookOutcomes: [...this.state.hookOutcomes, { hook: hook.name, ...outcome }] });
      if (!outcome.ok) {
        const where = outcome.logLocation ? `, log: ${outcome.logLocation}` : "";
        throw new RollbackRequired(`pre-traffic hook ${hook.name} failed (exit code ${outcome.exitCode ?? "none"}): ${outcome.message}${where}`, "rolled-back");
      }
    }
  }

  /** Returns `promote` when an operator asked to skip the remaining steps. */
  private async runSteps(): Promise<"done" | "promote"> {
    if (this.promoteRequested) return "promote";
    const phase = this.state.phase;
    const insideStep = phase === "shifting" || phase === "baking" || phase === "analysing" || phase === "paused";
    const first = insideStep ? this.state.stepIndex : this.state.stepIndex + 1;
    for (let step = first; step < this.plan.steps.length; step += 1) {
      const canary = this.plan.steps[step] as number;
      if (step === first && insideStep) {
        // Resumed inside a step: put the step's weights back (verified) and bake what is left of it.
        if (this.state.phase === "paused" || this.state.phase === "analysing") await this.enter("baking");
        if (this.state.phase !== "shifting") await this.enter("shifting");
      } else {
        const approvedByResume = step === first && this.options.approved === true && this.state.phase === "awaiting-approval";
        if (this.plan.approvalBeforeEachStep && !approvedByResume) {
          if (this.state.phase !== "awaiting-approval") {
            await this.enter("awaiting-approval", `approval required before step ${step + 1} (canary ${canary}%): run \`rollout resume\` to continue or \`rollout promote\``);
          }
          if ((await this.holdForOperator()) === "promote") return "promote";
        }
        await this.enter("shifting", undefined, { stepIndex: step, failures: 0 });
      }
      await this.requireHealthy("canary", `before a shift to canary ${canary}%`);
      await this.shiftTo(canary);
      const bakeStartedAt = insideStep && step === first && this.state.bakeStartedAt !== undefined ? this.state.bakeStartedAt : this.deps.clock.now();
      await this.enter("baking", undefined, { bakeStartedAt });
      if ((await this.bake(step)) === "promote") return "promote";
    }
    return "done";
  }

  /**
   * Analyses every interval. A step ends on a passing analysis once its bake time is over; evidence still
   * inconclusive (or failing within the budget) keeps the step baking up to `maxBakeMs`, after which the
   * inconclusive policy decides (pause, or a failure in a non-interactive run).
   */
  private async bake(step: number): Promise<"done" | "promote"> {
    const { clock } = this.deps;
    const bakeStartedAt = this.state.bakeStartedAt ?? clock.now();
    const bakeEnds = bakeStartedAt + this.plan.bakeMs;
    let giveUpAt = bakeStartedAt + this.plan.maxBakeMs;
    for (;;) {
      const windowStart = clock.now();
      if ((await this.wait(this.plan.intervalMs, ["promote"])) === "promote") return "promote";
      await this.enter("analysing");
      const drift = await this.checkDrift(step);
      if (drift === "promote") return "promote";
      if (drift === "resumed") continue;
      const measurements = await analyse(this.deps.analysers, {
        version: "canary",
        window: { start: windowStart, end: clock.now() },
        step,
        canaryWeight: this.plan.steps[step] as number,
        history: this.state.analyses,
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      });
      this.checkSignal();
      const now = clock.now();
      const outcome = await this.judge(step, measurements, { bakeRemainingMs: Math.max(0, bakeEnds - now), outOfTime: now >= giveUpAt });
      if (outcome === "promote") return "promote";
      if (outcome === "passed" && clock.now() >= bakeEnds) return "done";
      // A resumed step is analysed again and gets another stretch of evidence before it pauses once more.
      if (outcome === "resumed") giveUpAt = Math.max(giveUpAt, clock.now() + Math.max(this.plan.maxBakeMs - this.plan.bakeMs, this.plan.intervalMs));
    }
  }

  private async judge(step: number, measurements: readonly Measurement[], timing: { bakeRemainingMs: number; outOfTime: boolean }): Promise<"passed" | "continue" | "promote" | "resumed"> {
    const verdict = verdictOf(measurements);
    const at = this.deps.clock.now();
    const record: AnalysisRecord = { at, step, canaryWeight: this.plan.steps[step] as number, verdict, measurements };
    const shared = verdict !== "fail" && measurements.some((measurement) => measurement.attribution === "both-versions");
    const inconclusiveFails = verdict === "inconclusive" && !shared && timing.outOfTime && this.plan.inconclusivePolicy === "fail";
    const failed = verdict === "fail" || inconclusiveFails;
    const failures = this.state.failures + (failed ? 1 : 0);
    const totalFailures = (this.state.totalFailures ?? 0) + (failed ? 1 : 0);
    const consecutiveFailures = failed ? (this.state.consecutiveFailures ?? 0) + 1 : verdict === "pass" ? 0 : (this.state.consecutiveFailures ?? 0);
    const consecutiveErrors = verdict === "error" ? this.state.consecutiveErrors + 1 : 0;
    await this.commit({ ...this.state, analyses: [...this.state.analyses, record], failures, totalFailures, consecutiveFailures, consecutiveErrors });
    this.emit({ type: "analysis", at, record, bakeRemainingMs: timing.bakeRemainingMs });

    const where = `at step ${step + 1} (canary ${record.canaryWeight}%)`;
    if (failed) {
      const cause = inconclusiveFails ? `still inconclusive after ${Math.round(this.plan.maxBakeMs / 1000)} s in a non-interactive run: ${summarise(measurements, "inconclusive")}` : summarise(measurements, "fail");
      const exceeded = [
        ...(failures > this.plan.failureLimit ? [`${failures} failed analyses in this step, limit ${this.plan.failureLimit}`] : []),
        ...(totalFailures > this.plan.rolloutFailureLimit ? [`${totalFailures} in the rollout, limit ${this.plan.rolloutFailureLimit}`] : []),
        ...(consecutiveFailures > this.plan.consecutiveFailureLimit ? [`${consecutiveFailures} in a row, limit ${this.plan.consecutiveFailureLimit}`] : []),
      ];
      if (exceeded.length > 0) throw new RollbackRequired(`analysis failed ${where} (${exceeded.join("; ")}): ${cause}`, "rolled-back");
    }
    if (consecutiveErrors > this.plan.consecutiveErrorLimit) {
      throw new RollbackRequired(`analysis could not be taken ${consecutiveErrors} times in a row ${where}, limit ${this.plan.consecutiveErrorLimit}: ${summarise(measurements, "error")}`, "rolled-back");
    }
    // Both versions failing is not the canary's doing: rolling it back would not help, so a person decides.
    const pauseReason = shared
      ? `stable fails as well ${where}, so the canary is not rolled back for it: ${measurements.filter((measurement) => measurement.attribution === "both-versions").map((measurement) => measurement.message).join("; ")}`
      : verdict === "inconclusive" && timing.outOfTime && this.plan.inconclusivePolicy === "pause"
        ? `inconclusive analysis ${where} after ${Math.round(this.plan.maxBakeMs / 1000)} s of evidence: ${summarise(measurements, "inconclusive")}`
        : undefined;
    if (pauseReason !== undefined) {
      await this.enter("paused", pauseReason);
      const decision = await this.holdForOperator();
      if (decision === "promote") return "promote";
      await this.enter("baking");
      return "resumed";
    }
    await this.enter("baking");
    return verdict === "pass" ? "passed" : "continue";
  }

  private async promote(): Promise<void> {
    const signal = this.options.signal;
    // A promotion resumed after stable already took the image needs no canary any more.
    if ((await this.deps.deployer.images(signal)).stable !== this.state.image) await this.requireHealthy("canary", "before the promotion");
    if (this.state.phase !== "promoting") await this.enter("promoting");
    await this.deps.deployer.promote(this.state.image, signal);
    this.checkSignal();
    // Stable now runs the new image: moving traffic back to it is the last step of a promotion.
    const result = await this.shiftVerified(STABLE_ONLY, undefined);
    if (!result.verified) throw new RollbackRequired(`promotion could not move traffic to the promoted stable: ${result.detail}`, "rolled-back");
    await this.resetCanaryNoting();
    await this.enter("promoted");
    await this.refuseQueued();
  }

  private async resetCanaryNoting(): Promise<string> {
    try {
      await this.deps.deployer.resetCanary();
      return "";
    } catch (error) {
      const note = `canary reset failed (it receives no traffic): ${errorMessage(error)}`;
      this.log("warn", note);
      return note;
    }
  }

  /**
   * Traffic to stable first, verified by reading the router back, then the canary reset. Deliberately
   * ignores the run's abort signal: a signal is a reason to roll back, never a reason to stop rolling back.
   */
  private async rollBack(reason: string, outcome: "rolled-back" | "aborted"): Promise<void> {
    this.log("error", `rolling back: ${reason}`);
    if (this.state.phase !== "rolling-back") {
      try {
        await this.enter("rolling-back", reason, { rollbackOutcome: outcome });
      } catch (error) {
        if (error instanceof TakenOver) {
          this.state = await this.yieldTo(error.stored);
          return;
        }
        // commit() holds the new state even when saving it failed: enter it only if that did not happen.
        // (TypeScript still narrows the phase from before enter(); it may have changed since.)
        if ((this.state.phase as RolloutPhase) !== "rolling-back") this.state = transition({ ...this.state, rollbackOutcome: outcome }, "rolling-back", this.deps.clock.now(), reason);
        this.log("error", `could not save rollout state: ${errorMessage(error)}`);
      }
    }
    const result = await this.shiftVerified(STABLE_ONLY, undefined);
    if (!result.verified) {
      const failed = `${reason}; ROLLBACK NOT VERIFIED: traffic could not be confirmed on stable within ${this.plan.verifyTimeoutMs} ms (${result.detail})`;
      this.log("error", failed);
      await this.finish("rollback-failed", failed);
      return;
    }
    const note = await this.resetCanaryNoting();
    await this.finish(outcome, note ? `${reason} (${note})` : reason);
    await this.refuseQueued();
  }

  private async finish(phase: RolloutPhase, reason: string): Promise<void> {
    const at = this.deps.clock.now();
    const next = transition(this.state, phase, at, reason);
    await this.commitQuietly(next);
    const record = next.transitions.at(-1);
    if (record) this.emit({ type: "phase", at, transition: record });
  }
}

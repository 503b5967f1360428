import type { DeployedImages, HookOutcome, LockHolder, LockInfo, LockResult, Measurement, MeasurementStatus, OperatorRequest, PreTrafficHook, RolloutEvent, OperatorRequestKind, RolloutState, RouterHealth, Version, Weights } from "../../rollout/engine/model.ts";
import { type Analyser, type AnalysisContext, type Clock, type Deployer, type HookRunner, type Reporter, StateConflictError, type StateStore, type TrafficRouter, type VersionedState } from "../../rollout/engine/ports.ts";

let requestCounter = 0;

/** An operator request for rollout `rolloutId`, as the CLI makes it. */
export function operatorRequest(kind: OperatorRequestKind, rolloutId: string, at: number, by: string, reason?: string): OperatorRequest {
  requestCounter += 1;
  return { id: `req-${requestCounter}`, rolloutId, kind, at, by, ...(reason ? { reason } : {}) };
}

/**
 * In-memory fakes of the rollout ports. Time is virtual: `sleep` advances the clock at once, so a rollout
 * with minutes of bake runs in milliseconds, and scheduled actions (signals, operator requests) fire when
 * virtual time reaches them.
 */
export class FakeClock implements Clock {
  private scheduled: { at: number; action: () => void }[] = [];

  constructor(private current = 1_700_000_000_000) {}

  now(): number {
    return this.current;
  }

  /** Runs `action` once virtual time reaches `at`. */
  at(at: number, action: () => void): void {
    this.scheduled.push({ at, action });
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const target = this.current + Math.max(1, ms);
    while (this.current < target && !signal?.aborted) {
      const next = this.scheduled.filter((entry) => entry.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!next) {
        this.current = target;
        break;
      }
      this.current = Math.max(this.current, next.at);
      this.scheduled = this.scheduled.filter((entry) => entry !== next);
      next.action();
    }
    // Yield so that the engine never runs as one synchronous block (as with real timers).
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export interface FakeRouterOptions {
  /** Number of reads that still show the previous weights after a change (propagation lag). */
  readonly lagReads?: number;
  /** Calls (set or read) that throw before the router starts working: transient failures. */
  readonly transientFailures?: number;
  /** Every call throws: the router is gone. */
  readonly broken?: boolean;
  /** What `readHealth` answers per version (default healthy); `none` makes the router unable to tell. */
  readonly health?: Partial<Record<Version, RouterHealth["status"]>> | "none";
}

export class FakeRouter implements TrafficRouter {
  readonly requested: Weights[] = [];
  private applied: Weights = { stable: 100, canary: 0 };
  private visible: Weights = { stable: 100, canary: 0 };
  private lagLeft = 0;
  private failuresLeft: number;
  private lost = false;
  readonly health: Partial<Record<Version, RouterHealth["status"]>>;
  readonly readHealth?: (version: Version) => Promise<RouterHealth>;

  constructor(private readonly options: FakeRouterOptions = {}) {
    this.failuresLeft = options.transientFailures ?? 0;
    this.health = options.health === "none" ? {} : { ...options.health };
    if (options.health !== "none") {
      this.readHealth = async (version) => {
        this.fail();
        const status = this.health[version] ?? "healthy";
        return { status, detail: `fake ${version} ${status}` };
      };
    }
  }

  /** Someone changes the weights behind the rollout's back (a hand-edited listener). */
  drift(weights: Weights): void {
    this.applied = weights;
    this.visible = weights;
  }

  /** From now on every call throws, as if the router process were gone. */
  lose(): void {
    this.lost = true;
  }

  /** What the router really applies (the truth a test checks at the end). */
  get weights(): Weights {
    return this.applied;
  }

  private fail(): void {
    if (this.options.broken || this.lost) throw new Error("router unreachable");
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new Error("router busy (transient)");
    }
  }

  async setWeights(weights: Weights): Promise<void> {
    this.fail();
    this.requested.push(weights);
    this.applied = weights;
    this.lagLeft = this.options.lagReads ?? 0;
  }

  async readWeights(): Promise<Weights> {
    this.fail();
    if (this.lagLeft > 0) {
      this.lagLeft -= 1;
      return this.visible;
    }
    this.visible = this.applied;
    return this.visible;
  }
}

export class FakeDeployer implements Deployer {
  readonly calls: string[] = [];
  stable: string;
  canary: string | undefined;

  constructor(
    stableImage: string,
    private readonly failOn: readonly ("deployCanary" | "promote" | "resetCanary")[] = [],
  ) {
    this.stable = stableImage;
  }

  async images(): Promise<DeployedImages> {
    return { stable: this.stable, ...(this.canary ? { canary: this.canary } : {}) };
  }

  async deployCanary(image: string): Promise<void> {
    this.calls.push(`deployCanary ${image}`);
    if (this.failOn.includes("deployCanary")) throw new Error(`canary ${image} did not become healthy`);
    this.canary = image;
  }

  async promote(image: string): Promise<void> {
    this.calls.push(`promote ${image}`);
    if (this.failOn.includes("promote")) throw new Error("stable update failed");
    this.stable = image;
  }

  async resetCanary(): Promise<void> {
    this.calls.push("resetCanary");
    if (this.failOn.includes("resetCanary")) throw new Error("canary scale-down failed");
    this.canary = undefined;
  }
}

export class FakeHooks implements HookRunner {
  readonly ran: string[] = [];

  constructor(private readonly outcomes: Readonly<Record<string, HookOutcome>> = {}) {}

  async run(hook: PreTrafficHook): Promise<HookOutcome> {
    this.ran.push(hook.name);
    return this.outcomes[hook.name] ?? { ok: true, exitCode: 0, message: "ok" };
  }
}

/** Answers analysis rounds from a script of verdicts (then `after` forever); records each context. */
export class ScriptedAnalyser implements Analyser {
  readonly name = "scripted";
  readonly contexts: AnalysisContext[] = [];

  constructor(
    private readonly script: readonly MeasurementStatus[],
    private readonly after: MeasurementStatus = "pass",
  ) {}

  async measure(context: AnalysisContext): Promise<Measurement[]> {
    const status = this.script[this.contexts.length] ?? this.after;
    this.contexts.push(context);
    return [{ analyser: this.name, metric: "scripted", status, version: context.version, message: `scripted ${status} #${this.contexts.length}` }];
  }
}

export class RecordingReporter implements Reporter {
  readonly events: RolloutEvent[] = [];

  emit(event: RolloutEvent): void {
    this.events.push(event);
  }
}

/** StateStore in memory with the file store's lock semantics; `alive` decides which holders are stale. */
export class MemoryStateStore implements StateStore {
  readonly states = new Map<string, RolloutState>();
  readonly saves: RolloutState[] = [];
  private readonly locks = new Map<string, LockHolder>();
  private readonly queues = new Map<string, OperatorRequest[]>();

  constructor(private readonly alive: (holder: LockHolder) => boolean = () => true) {}

  describe(): string {
    return "memory";
  }

  async load(environment: string): Promise<RolloutState | undefined> {
    return this.states.get(environment);
  }

  async loadVersioned(environment: string): Promise<VersionedState | undefined> {
    const state = this.states.get(environment);
    return state && { state, version: this.versionOf(environment) };
  }

  /** Conditional like the real stores: a version is the count of saves of the environment so far. */
  async save(state: RolloutState, ifVersion?: string): Promise<string> {
    if (ifVersion !== undefined && ifVersion !== this.versionOf(state.environment)) throw new StateConflictError(`memory: the state of ${state.environment} changed since version ${ifVersion}`);
    this.states.set(state.environment, state);
    this.saves.push(state);
    return this.versionOf(state.environment);
  }

  private versionOf(environment: string): string {
    return String(this.saves.filter((saved) => saved.environment === environment).length);
  }

  async acquireLock(environment: string, holder: LockHolder, options?: { takeOverStale?: boolean }): Promise<LockResult> {
    const current = this.locks.get(environment);
    if (current && current.id !== holder.id) {
      const stale = !this.alive(current);
      if (!stale || !options?.takeOverStale) return { ok: false, heldBy: current, stale };
      this.locks.set(environment, holder);
      return { ok: true, holder, tookOverFrom: current };
    }
    this.locks.set(environment, holder);
    return { ok: true, holder };
  }

  async renewLock(environment: string, holder: LockHolder): Promise<void> {
    if (this.locks.get(environment)?.id !== holder.id) throw new Error(`lock for ${environment} is no longer held by ${holder.id}`);
  }

  async releaseLock(environment: string, holder: LockHolder): Promise<void> {
    if (this.locks.get(environment)?.id === holder.id) this.locks.delete(environment);
  }

  async readLock(environment: string): Promise<LockInfo | undefined> {
    const holder = this.locks.get(environment);
    return holder && { holder, stale: !this.alive(holder) };
  }

  async request(environment: string, request: OperatorRequest): Promise<void> {
    this.queues.set(environment, [...(this.queues.get(environment) ?? []), request]);
  }

  async takeRequests(environment: string): Promise<readonly OperatorRequest[]> {
    const queued = this.queues.get(environment) ?? [];
    this.queues.delete(environment);
    return queued;
  }

  async withdrawRequest(environment: string, id: string): Promise<boolean> {
    const queued = this.queues.get(environment) ?? [];
    this.queues.set(environment, queued.filter((request) => request.id !== id));
    return queued.some((request) => request.id === id);
  }
}

export const TEST_HOLDER: LockHolder = { id: "rollout-test", host: "test-host", pid: 4242, startedAt: 1_700_000_000_000 };

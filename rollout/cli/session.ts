import { randomBytes } from "node:crypto";
import os from "node:os";
import type { LockHolder, RolloutState } from "../engine/model.ts";
import { StateConflictError, type Target, type TargetOptions } from "../engine/ports.ts";
import { loadTargetFactory } from "../targets/index.ts";
import type { CliContext } from "./context.ts";
import { Refusal } from "./exit-codes.ts";
import { environmentOf, targetOf, type CommonOptions } from "./options.ts";
import { describeHolder } from "./render.ts";

/** The target of `options`, opened for `purpose`, closed after `body` whatever happens. */
export async function withTarget<T>(cli: CliContext, options: CommonOptions, purpose: TargetOptions["purpose"], body: (target: Target) => Promise<T>): Promise<T> {
  const name = targetOf(options);
  const factory = await loadTargetFactory(name);
  if (!factory) throw new Refusal(`unknown target ${name}`);
  const target = await factory({ environment: environmentOf(options), ...(options.stack ? { stack: options.stack } : {}), cwd: cli.io.cwd, purpose, log: (text) => cli.warn(text) });
  try {
    return await body(target);
  } finally {
    await target.close();
  }
}

/** Writes the command's first state over the one it checked: `save` in `lockedTarget`'s body. */
export type SaveAsChecked = (state: RolloutState) => Promise<void>;

/**
 * Takes the environment's lock before anything else happens, then runs `body` with a target opened for
 * `purpose` (which may start local processes). The lock is taken through a target opened only to attach
 * (`status`): a process that does not get the lock has started, written and changed nothing. `body` writes its
 * first state with `save`, which refuses when the state changed since `check` read it: the rollout watchdog
 * can claim a paused or abandoned rollout while this command opens its target (ADR 0088).
 */
export async function lockedTarget<T>(
  cli: CliContext,
  options: CommonOptions & { takeOverStale?: boolean },
  purpose: TargetOptions["purpose"],
  command: string,
  check: (stored: RolloutState | undefined) => T,
  body: (target: Target, holder: LockHolder, checked: T, save: SaveAsChecked) => Promise<number>,
): Promise<number> {
  const environment = environmentOf(options);
  return withTarget(cli, options, "status", (attached) =>
    withLock(cli, attached, environment, newHolder(environment, command), options.takeOverStale ?? false, async (holder) => {
      // Refusals that need only the state come before the target may start anything.
      const read = await attached.store.loadVersioned(environment);
      const checked = check(read?.state);
      return withTarget(cli, options, purpose, (target) => body(target, holder, checked, (state) => saveOverVersion(target, state, read?.version)));
    }),
  );
}

async function saveOverVersion(target: Target, state: RolloutState, version: string | undefined): Promise<void> {
  try {
    await target.store.save(state, version);
  } catch (error) {
    if (!(error instanceof StateConflictError)) throw error;
    throw new Refusal(`refused: the state of ${state.environment} changed after this command read it (the rollout watchdog may have taken the rollout over); nothing was changed: see \`npm run rollout -- status --env ${state.environment}\``);
  }
}

/** Acquires the lock and runs `body`; the lock is released whatever happens. */
async function withLock(cli: CliContext, target: Target, environment: string, holder: LockHolder, takeOverStale: boolean, body: (holder: LockHolder) => Promise<number>): Promise<number> {
  const lock = await target.store.acquireLock(environment, holder, { takeOverStale });
  if (!lock.ok) throw lockRefusal(environment, lock);
  if (lock.tookOverFrom) cli.warn(`took over the stale lock of ${describeHolder(lock.tookOverFrom)}`);
  try {
    return await body(lock.holder);
  } finally {
    await target.store.releaseLock(environment, lock.holder);
  }
}

function newHolder(environment: string, command: string): LockHolder {
  const startedAt = Date.now();
  const stamp = new Date(startedAt).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return { id: `${environment}-${stamp}-${randomBytes(3).toString("hex")}`, host: os.hostname(), pid: process.pid, user: os.userInfo().username, startedAt, command };
}

export function lockRefusal(environment: string, lock: { heldBy: LockHolder; stale: boolean }): Refusal {
  const advice = lock.stale ? "add --take-over-stale to take it over (the process holding it is gone)" : "wait for it, or run `npm run rollout -- status` / `abort` from here";
  return new Refusal(`refused: a rollout of ${environment} is already running: ${describeHolder(lock.heldBy, lock.stale)}; ${advice}`);
}

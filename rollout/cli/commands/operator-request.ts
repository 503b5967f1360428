import { randomUUID } from "node:crypto";
import os from "node:os";
import type { Command } from "commander";
import { systemClock } from "../../engine/clock.ts";
import { isTerminal } from "../../engine/machine.ts";
import type { LockHolder, OperatorRequest, OperatorRequestKind, RequestRecord, RolloutState } from "../../engine/model.ts";
import type { Target } from "../../engine/ports.ts";
import type { CliContext } from "../context.ts";
import { drive } from "../drive.ts";
import { Refusal, ROLLOUT_EXIT } from "../exit-codes.ts";
import { commonIssues, environmentOf, withCommon, type CommonOptions } from "../options.ts";
import { describeHolder } from "../render.ts";
import { lockedTarget, lockRefusal, withTarget } from "../session.ts";

interface OperatorOptions extends CommonOptions {
  reason?: string;
  reportDir?: string;
  takeOverStale?: boolean;
  nonInteractive?: boolean;
}

/** How long `abort`/`promote`/`resume` wait for the running rollout to answer before withdrawing the request. */
const ANSWER_TIMEOUT_MS = 10_000;

/** Phases in which a live rollout process reads requests (within a second); in the others it does not. */
const READS_REQUESTS: readonly RolloutState["phase"][] = ["shifting", "baking", "analysing", "paused", "awaiting-approval"];
/** Before traffic moves, a deploy or hook can take minutes without reading requests: a signal stops it now. */
const BEFORE_TRAFFIC: readonly RolloutState["phase"][] = ["planned", "deploying", "pre-traffic-hooks"];

/**
 * `abort`, `promote` and `resume`: one operator request to the rollout of an environment. A live process
 * running it gets the request and answers; with nobody running it, this process finishes the rollout.
 */
export function defineOperatorCommand(program: Command, cli: CliContext, kind: OperatorRequestKind, description: string): void {
  withCommon(program.command(kind).description(description))
    .option("--reason <text>", "why (recorded in the state and the report)")
    .option("--report-dir <dir>", "where reports are written when this process finishes the rollout")
    .option("--take-over-stale", "take over a lock whose holder is gone")
    .option("--non-interactive", "inconclusive analysis fails instead of pausing (resume in CI)")
    .action(
      cli.action(async (options: OperatorOptions, command: Command) => {
        if (cli.refuse(kind, commonIssues(options, command))) return ROLLOUT_EXIT.refused;
        return operate(cli, kind, options);
      }),
    );
}

function operatorName(): string {
  return `${os.userInfo().username}@${os.hostname()} (pid ${process.pid})`;
}

async function operate(cli: CliContext, kind: OperatorRequestKind, options: OperatorOptions): Promise<number> {
  const environment = environmentOf(options);
  const base = { id: randomUUID(), kind, at: Date.now(), by: operatorName(), ...(options.reason ? { reason: options.reason } : {}) };
  // Only an abort may act on a rollout whose rollback failed: it retries that rollback.
  const retriesFailedRollback = (phase: RolloutState["phase"]) => phase === "rollback-failed" && kind === "abort";
  const attached = await withTarget(cli, options, "request", async (target) => {
    const [state, lock] = await Promise.all([target.store.load(environment), target.store.readLock(environment)]);
    if (!state) throw new Refusal(`refused: no rollout in progress for ${environment}`);
    const failedRollback = retriesFailedRollback(state.phase);
    if (isTerminal(state.phase) && !failedRollback) throw new Refusal(`refused: no rollout in progress for ${environment} (last: ${state.id}, ${state.phase}); nothing to ${kind}`);
    if (lock?.stale && !options.takeOverStale) throw lockRefusal(environment, { heldBy: lock.holder, stale: true });
    if (!lock || lock.stale) return undefined;
    if (lock.holder.id !== state.id && !failedRollback) return { refused: `refused: rollout ${state.id} is ${state.phase} but the lock is held by ${describeHolder(lock.holder)}; retry when it is released` };
    if (BEFORE_TRAFFIC.includes(state.phase)) {
      const how = lock.holder.host === os.hostname() ? `\`kill -TERM ${lock.holder.pid}\`` : `SIGTERM to pid ${lock.holder.pid} on ${lock.holder.host} (or cancel that CI job)`;
      return { refused: `refused: rollout ${state.id} is ${state.phase} in ${describeHolder(lock.holder)}: no traffic has moved, and requests are read from the first step on. To stop it now, send ${how}: it rolls back, verified. Or retry the ${kind} once \`status\` shows a step` };
    }
    if (!READS_REQUESTS.includes(state.phase) || failedRollback) {
      return { refused: `refused: rollout ${state.id} is ${state.phase} in ${describeHolder(lock.holder)} and can no longer act on ${kind}; follow it with \`npm run rollout -- status --env ${environment}\`` };
    }
    if (kind === "resume" && state.phase !== "paused" && state.phase !== "awaiting-approval") {
      return { refused: `refused: rollout ${state.id} is ${state.phase} and running in ${describeHolder(lock.holder)}; nothing to resume` };
    }
    // A live process runs the rollout: hand it the request and wait for its answer in the state.
    const request: OperatorRequest = { ...base, rolloutId: state.id };
    await target.store.request(environment, request);
    return { answer: await awaitAnswer(cli, target, environment, request, lock.holder) };
  });
  if (attached !== undefined) {
    if ("refused" in attached) throw new Refusal(attached.refused);
    return attached.answer;
  }
  // Nobody runs the rollout (paused and exited, killed, or its rollback failed): this process finishes it.
  const refuseUnless = (stored: RolloutState | undefined): RolloutState => {
    if (!stored || (isTerminal(stored.phase) && !retriesFailedRollback(stored.phase))) throw new Refusal(`refused: no rollout in progress for ${environment}`);
    if (kind === "promote" && stored.phase === "rolling-back") throw new Refusal(`refused: rollout ${stored.id} is rolling-back; it can only be finished with \`abort\` or \`resume\``);
    return stored;
  };
  return lockedTarget(cli, options, "resume", `rollout ${kind}`, refuseUnless, async (target, holder, stored, save) => {
    const plan = options.nonInteractive ? { ...stored.plan, inconclusivePolicy: "fail" as const } : stored.plan;
    const state: RolloutState = { ...stored, plan, holder };
    await save(state);
    // A rollback in progress needs no request: continuing it is the abort. Queued after the save, so that a
    // refused save leaves nothing behind.
    if (kind !== "resume" && stored.phase !== "rolling-back" && !retriesFailedRollback(stored.phase)) await target.store.request(environment, { ...base, rolloutId: stored.id });
    cli.warn(`${kind}: continuing rollout ${state.id} (${state.phase}) in this process`);
    return drive(cli, target, state, {
      ...(options.json ? { json: true } : {}),
      ...(options.reportDir ? { reportDir: options.reportDir } : {}),
      approved: true,
      ...(retriesFailedRollback(stored.phase) ? { retryFailedRollback: `abort by ${base.by}: finishing the rollback that could not be verified${options.reason ? ` (${options.reason})` : ""}` } : {}),
    });
  });
}

/**
 * Waits for the running rollout to answer `request` in its state. Unanswered after ANSWER_TIMEOUT_MS, the
 * request is withdrawn, so that it can never act later (or on another rollout); a request the rollout took
 * meanwhile gets a little longer for its answer to be saved.
 */
async function awaitAnswer(cli: CliContext, target: Target, environment: string, request: OperatorRequest, holder: LockHolder): Promise<number> {
  const deadline = Date.now() + ANSWER_TIMEOUT_MS;
  let withdrawTried = false;
  for (;;) {
    const state = await target.store.load(environment);
    const answer: RequestRecord | undefined = state?.id === request.rolloutId ? state.requestLog?.find((record) => record.id === request.id) : undefined;
    if (answer?.outcome === "acted") {
      cli.print(`${request.kind} acknowledged by rollout ${request.rolloutId} (${describeHolder(holder)}): ${answer.note}. Follow with \`npm run rollout -- status --env ${environment}\`.`);
      return ROLLOUT_EXIT.ok;
    }
    if (answer) throw new Refusal(`refused by rollout ${request.rolloutId}: ${request.kind} ${answer.note}`);
    if (Date.now() >= deadline) {
      if (!withdrawTried && (await target.store.withdrawRequest(environment, request.id))) {
        cli.warn(`rollout ${request.rolloutId} did not answer the ${request.kind} within ${ANSWER_TIMEOUT_MS / 1000} s (is ${describeHolder(holder)} hung?); the request was withdrawn and will never act. Check \`npm run rollout -- status --env ${environment}\`; if that process is gone, repeat with --take-over-stale.`);
        return ROLLOUT_EXIT.paused;
      }
      withdrawTried = true;
      if (Date.now() >= deadline + ANSWER_TIMEOUT_MS) throw new Error(`rollout ${request.rolloutId} took the ${request.kind} but did not record an answer; check \`npm run rollout -- status --env ${environment}\``);
    }
    await systemClock.sleep(100);
  }
}

import type { EpochMs, PhaseTransition, RolloutPhase, RolloutState } from "./model.ts";
import { TERMINAL_PHASES } from "./model.ts";

/**
 * Every phase change the engine may make. Anything else is a bug and throws, so that a resumed or
 * hand-edited state can never walk the rollout into a combination nobody reasoned about.
 * Every non-terminal phase may go to `rolling-back` (failure, signal, operator abort).
 */
const ALLOWED: Readonly<Record<RolloutPhase, readonly RolloutPhase[]>> = {
  planned: ["deploying"],
  deploying: ["pre-traffic-hooks"],
  "pre-traffic-hooks": ["shifting", "awaiting-approval"],
  "awaiting-approval": ["shifting", "promoting"],
  shifting: ["baking", "promoting"],
  baking: ["analysing", "shifting", "awaiting-approval", "promoting"],
  analysing: ["baking", "paused", "shifting", "awaiting-approval", "promoting"],
  paused: ["baking", "promoting"],
  promoting: ["promoted"],
  "rolling-back": ["rolled-back", "aborted", "rollback-failed"],
  promoted: [],
  "rolled-back": [],
  aborted: [],
  // An operator `abort` may try again to finish a rollback that could not be verified (nothing else may).
  "rollback-failed": ["rolling-back"],
};

/** Phases that require a reason: nobody should ever have to guess why a rollout stopped. */
const NEEDS_REASON: readonly RolloutPhase[] = ["rolling-back", "rolled-back", "aborted", "rollback-failed", "paused"];

export function isTerminal(phase: RolloutPhase): boolean {
  return TERMINAL_PHASES.includes(phase);
}

export function canTransition(from: RolloutPhase, to: RolloutPhase): boolean {
  if (to === "rolling-back") return (!isTerminal(from) && from !== "rolling-back") || from === "rollback-failed";
  return ALLOWED[from].includes(to);
}

export class IllegalTransitionError extends Error {}

/** Returns the state in phase `to`, with the transition recorded. */
export function transition(state: RolloutState, to: RolloutPhase, at: EpochMs, reason?: string): RolloutState {
  if (!canTransition(state.phase, to)) throw new IllegalTransitionError(`rollout ${state.id}: ${state.phase} -> ${to} is not a valid transition`);
  if (NEEDS_REASON.includes(to) && !reason) throw new IllegalTransitionError(`rollout ${state.id}: ${to} needs a reason`);
  const record: PhaseTransition = { from: state.phase, to, at, ...(state.stepIndex >= 0 ? { step: state.stepIndex } : {}), ...(reason ? { reason } : {}) };
  // The reason describes the current phase only: a pause's reason must not linger on a later promotion.
  const { reason: _previousReason, finishedAt: _previousFinish, ...rest } = state;
  return {
    ...rest,
    phase: to,
    updatedAt: at,
    ...(reason ? { reason } : {}),
    ...(to === "paused" || to === "awaiting-approval" ? { pausedFrom: state.phase } : {}),
    ...(isTerminal(to) ? { finishedAt: at } : {}),
    transitions: [...state.transitions, record],
  };
}

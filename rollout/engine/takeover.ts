import { isTerminal } from "./machine.ts";
import type { RolloutState } from "./model.ts";

/**
 * The stored state of this rollout when someone else ended it while this process still drives it: the
 * rollout watchdog (lambdas/rollout-watchdog) claims a rollout by writing it `rolling-back` before it moves
 * any traffic. The orchestrator only ever writes those phases itself from its own rollback, so seeing one it
 * did not write means it must stop: no more shifts, no more writes (docs/adr/0056).
 */
export function takenOver(own: RolloutState, stored: RolloutState | undefined): RolloutState | undefined {
  if (stored === undefined || stored.id !== own.id) return undefined;
  if (own.phase === "rolling-back" || isTerminal(own.phase)) return undefined;
  return stored.phase === "rolling-back" || isTerminal(stored.phase) ? stored : undefined;
}

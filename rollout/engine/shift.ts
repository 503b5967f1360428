import type { Weights } from "./model.ts";
import type { Clock, TrafficRouter } from "./ports.ts";
import { errorMessage } from "../shared/errors.ts";

/**
 * The one verify loop: set the weights, read them back until the router shows them. Used by the engine for every
 * shift and by the rollout watchdog (lambdas/rollout-watchdog/core.ts) for its rollback, so that "verified"
 * means the same on both. Like Argo Rollouts' SetWeight and VerifyWeight, setting and verifying are apart: a
 * router only sets and reads (an ALB has no published propagation time, so `setWeights` alone proves nothing).
 */

export const STABLE_ONLY: Weights = { stable: 100, canary: 0 };

export function sameWeights(a: Weights, b: Weights): boolean {
  return a.stable === b.stable && a.canary === b.canary;
}

export function formatWeights(weights: Weights): string {
  return `stable ${weights.stable} / canary ${weights.canary}`;
}

export interface ShiftSettings {
  /** How long to read the weights back before the shift counts as unverified. */
  readonly timeoutMs: number;
  /** Pause between attempts. */
  readonly retryMs: number;
  readonly signal?: AbortSignal;
  /**
   * Called once the router shows the weights, inside the same deadline: where the platform keeps them for its
   * next deploy (the AWS stack's config, ADR 0051). A failure is retried and, past the deadline, leaves the
   * shift unverified, because a weight that is not recorded would be reverted by that deploy.
   */
  readonly record?: (weights: Weights, signal?: AbortSignal) => Promise<void>;
}

export interface ShiftResult {
  readonly verified: boolean;
  /** What the router showed last, or why it could not be read, set or recorded. */
  readonly detail: string;
}

/**
 * Sets `weights` once (again only after an error setting them), reads the router back until it shows them,
 * then records them. Never throws for router errors: they end in `verified: false` at the deadline.
 */
export async function shiftVerified(router: Pick<TrafficRouter, "setWeights" | "readWeights">, weights: Weights, clock: Pick<Clock, "now" | "sleep">, settings: ShiftSettings): Promise<ShiftResult> {
  const { signal } = settings;
  const deadline = clock.now() + settings.timeoutMs;
  let applied = false;
  let shown = false;
  let detail = "the router was not read";
  for (;;) {
    try {
      if (!applied) {
        await router.setWeights(weights, signal);
        applied = true;
      }
      if (!shown) {
        const seen = await router.readWeights(signal);
        detail = `router shows ${formatWeights(seen)}`;
        shown = sameWeights(seen, weights);
      }
      if (shown) {
        await settings.record?.(weights, signal);
        return { verified: true, detail };
      }
    } catch (error) {
      detail = shown ? `router shows ${formatWeights(weights)} but recording it failed: ${errorMessage(error)}` : `router error: ${errorMessage(error)}`;
    }
    if (clock.now() >= deadline) return { verified: false, detail };
    await clock.sleep(settings.retryMs, signal);
  }
}

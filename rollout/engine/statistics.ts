/**
 * The statistics the canary analysis rests on; pure. Rates (5xx per request) are binomial proportions, judged
 * with one-sided Wilson score bounds: they stay inside [0, 1], behave at 0 and at n errors (where the normal
 * "p ± z·se" interval collapses to a width of zero and would call 0 errors in 20 requests proof of 0 %), and
 * their coverage stays close to the nominal level for the small rates and modest counts a canary sees
 * (Newcombe 1998; Brown, Cai & DasGupta 2001). The difference of two rates (canary minus stable) uses
 * Newcombe's hybrid score interval (his method 10), built from the two Wilson intervals.
 */

/** Counts of one version: `failures` of `trials` requests failed. */
export interface Counts {
  readonly failures: number;
  readonly trials: number;
}

export interface Bounds {
  readonly lower: number;
  readonly upper: number;
}

// Acklam's rational approximation of the standard normal quantile (relative error below 1.2e-9).
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239] as const;
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1] as const;
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783] as const;
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416] as const;
const P_LOW = 0.02425;

function tail(q: number): number {
  return (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
}

/** z such that P(Z <= z) = p for a standard normal Z; p in (0, 1). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p=${p} is not in (0, 1)`);
  if (p < P_LOW) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - P_LOW) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
}

/**
 * Wilson score bounds of a proportion. With `confidence` c, `lower` is a one-sided c lower bound and `upper` a
 * one-sided c upper bound (together a two-sided interval of level 2c - 1). No trials: [0, 1], no evidence.
 */
export function wilsonBounds(counts: Counts, confidence: number): Bounds {
  const { failures, trials } = counts;
  if (trials <= 0) return { lower: 0, upper: 1 };
  const z = normalQuantile(confidence);
  const z2 = z * z;
  const p = failures / trials;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denominator;
  // At 0 and n failures the bound is exactly 0 (1); floating point would otherwise leave -1e-17.
  return { lower: failures === 0 ? 0 : Math.max(0, centre - half), upper: failures === trials ? 1 : Math.min(1, centre + half) };
}

/**
 * Newcombe's hybrid score bounds for the difference of two proportions, `a - b` (canary minus stable), each at
 * one-sided `confidence`. The lower bound above a margin means "a is worse than b by more than the margin".
 */
export function differenceBounds(a: Counts, b: Counts, confidence: number): Bounds {
  const pa = a.trials > 0 ? a.failures / a.trials : 0;
  const pb = b.trials > 0 ? b.failures / b.trials : 0;
  const wa = wilsonBounds(a, confidence);
  const wb = wilsonBounds(b, confidence);
  const difference = pa - pb;
  return {
    lower: difference - Math.sqrt((pa - wa.lower) ** 2 + (wb.upper - pb) ** 2),
    upper: difference + Math.sqrt((wa.upper - pa) ** 2 + (pb - wb.lower) ** 2),
  };
}

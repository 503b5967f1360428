import type { AnalysisThresholds, VersionMetricsSample } from "./model.ts";

/**
 * Metrics as data. Each traffic metric the analysis judges is one declaration here: how it is read from a
 * version's raw sample, how it is compared, its limit, its baseline slack, and how the report renders it. The
 * evaluation (evaluate.ts), the plan defaults and validation (plan.ts) and the report (report/report.ts) all
 * read this list; adding a metric is one entry here, the flag of each new setting in the CLI
 * (rollout/cli/plan-flags.ts; a test fails without it) and the field its adapters fill in
 * `VersionMetricsSample` (docs/rollout.md, "Adding a metric").
 */

/** A number the operator may set: where it lives in the plan, and how the typed value maps to it. */
export interface SettingDeclaration {
  /** Key in `AnalysisThresholds` (the plan input's `thresholds.<key>`). */
  readonly key: string;
  /** Default in plan units. */
  readonly default: number;
  /** The value is typed in these units: plan value = typed value * scale (percent -> fraction: 0.01). */
  readonly scale: number;
  /** Accepted typed values (in typed units). */
  readonly range: { readonly min: number; readonly max?: number; readonly integer?: boolean; readonly exclusiveMin?: boolean };
}

/**
 * `rate`: failures per request, judged statistically (Wilson bounds) on this window and on the evidence
 * accumulated over the rollout. `level`: a value per window (a percentile, a count), judged as measured.
 */
export type MetricKind = "rate" | "level";

export interface MetricDeclaration {
  /** Stable id, used as the measurement's `metric` (reports and scripts key on it). */
  readonly id: string;
  readonly title: string;
  readonly kind: MetricKind;
  /** Rate: failures and trials; level: the value. Undefined when the source could not know it. */
  readonly read: (sample: VersionMetricsSample) => { readonly failures: number; readonly trials: number } | number | undefined;
  /** Comparison: the value must stay at or under the limit. */
  readonly limit: SettingDeclaration;
  /**
   * Baseline comparison against stable: the canary fails when it exceeds stable by the relative margin and by
   * at least this absolute amount (both: a relative margin alone would fail 2 ms against 1 ms).
   */
  readonly baselineDelta?: SettingDeclaration;
  /**
   * Level metrics: a limit crossed in one window only counts once the next window confirms it. A percentile
   * of one window is noisy (a freshly started process, a burst of requests) and has no bound to test.
   */
  readonly confirm?: boolean;
  /** A failure no limit expresses (e.g. no healthy target at all); returns the reason. */
  readonly alsoFails?: (sample: VersionMetricsSample) => string | undefined;
  /** How the report and messages print a value of this metric. */
  readonly format: (value: number) => string;
}

function percent(value: number): string {
  const scaled = value * 100;
  return `${scaled === 0 ? "0" : scaled < 0.1 ? scaled.toFixed(3) : scaled < 10 ? scaled.toFixed(2) : scaled.toFixed(1)}%`;
}

export const METRICS: readonly MetricDeclaration[] = [
  {
    id: "5xx-rate",
    title: "5xx rate",
    kind: "rate",
    read: (sample) => ({ failures: sample.errors5xx, trials: sample.requests }),
    limit: { key: "max5xxRate", default: 0.01, scale: 0.01, range: { min: 0, max: 100 } },
    baselineDelta: {
      key: "baselineErrorDelta",
      default: 0.0075,
      scale: 0.01,
      range: { min: 0, max: 100 },
    },
    format: percent,
  },
  {
    id: "p95-ms",
    title: "p95 latency",
    kind: "level",
    read: (sample) => sample.p95Ms,
    confirm: true,
    limit: { key: "maxP95Ms", default: 500, scale: 1, range: { min: 1 } },
    baselineDelta: {
      key: "baselineP95DeltaMs",
      // A freshly started version is slower for its first requests (JIT, connection pools): 100 ms rolled back
      // healthy canaries on a busy machine in the bench; 200 ms still catches +300 ms.
      default: 200,
      scale: 1,
      range: { min: 0 },
    },
    format: (value) => `${Math.round(value)} ms`,
  },
  {
    id: "unhealthy-targets",
    title: "unhealthy targets",
    kind: "level",
    read: (sample) => sample.unhealthyTargets,
    limit: { key: "maxUnhealthyTargets", default: 0, scale: 1, range: { min: 0, integer: true } },
    alsoFails: (sample) => (sample.healthyTargets === 0 ? "has no healthy target" : undefined),
    format: (value) => String(value),
  },
];

/** Settings of the analysis itself, shared by every metric. */
const ANALYSIS_SETTINGS: readonly SettingDeclaration[] = [
  { key: "confidence", default: 0.95, scale: 0.01, range: { min: 50, max: 99.99, exclusiveMin: true } },
  {
    key: "failConfidence",
    default: 0.99,
    scale: 0.01,
    range: { min: 50, max: 99.99, exclusiveMin: true },
  },
  { key: "minFailures", default: 5, scale: 1, range: { min: 1, integer: true } },
  { key: "minRequests", default: 5, scale: 1, range: { min: 1, integer: true } },
  { key: "baselineMargin", default: 1, scale: 0.01, range: { min: 0 } },
];

/** Every setting, metrics first, in declaration order (`--help` lists their flags in it). */
export function allSettings(): readonly SettingDeclaration[] {
  return [...METRICS.flatMap((metric) => [metric.limit, ...(metric.baselineDelta ? [metric.baselineDelta] : [])]), ...ANALYSIS_SETTINGS];
}

/** The default of every setting, in plan units. */
export function defaultThresholds(): AnalysisThresholds {
  return Object.fromEntries(allSettings().map((setting) => [setting.key, setting.default])) as unknown as AnalysisThresholds;
}

/** A setting's value in a plan, or its default (states written before the setting existed lack it). */
export function settingValue(thresholds: AnalysisThresholds, key: string): number {
  const value = thresholds[key];
  if (value !== undefined) return value;
  const declared = allSettings().find((setting) => setting.key === key);
  if (declared === undefined) throw new Error(`no analysis setting ${key} is declared in rollout/engine/metrics.ts`);
  return declared.default;
}

export function metricById(id: string): MetricDeclaration | undefined {
  return METRICS.find((metric) => metric.id === id);
}

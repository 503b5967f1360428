import { metricById } from "../engine/metrics.ts";
import type { AnalysisRecord, Measurement, MeasurementStatus, MetricEvidence, RolloutPhase, RolloutState } from "../engine/model.ts";
import { formatDuration } from "../engine/plan.ts";

/** One point of the timeline: the canary's weight and its measured 5xx rate and p95 at an analysis. */
export interface TimelinePoint {
  readonly at: number;
  readonly canaryWeight: number;
  readonly errorRate?: number;
  readonly p95Ms?: number;
  readonly verdict: AnalysisRecord["verdict"];
}

export interface TimelineMarker {
  readonly at: number;
  readonly kind: "step" | "rollback" | "promoted" | "paused";
  readonly label: string;
}

/** One metric of one analysis window: both versions, the bound, the verdict and the rule that decided it. */
export interface WindowMetric {
  readonly metric: string;
  readonly status: MeasurementStatus;
  readonly evidence?: MetricEvidence;
  readonly attribution?: Measurement["attribution"];
  readonly why: string;
}

/** The evidence of one analysis window, as the report shows it. */
export interface WindowEvidence {
  readonly at: number;
  readonly step: number;
  readonly canaryWeight: number;
  readonly verdict: MeasurementStatus;
  readonly metrics: readonly WindowMetric[];
}

/** What identifies the rollout is copied from its state as is. */
export interface RolloutReport extends Pick<RolloutState, "id" | "environment" | "target" | "image" | "stableImage"> {
  readonly outcome: RolloutPhase;
  readonly reason?: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly durationMs: number;
  readonly steps: readonly StepSummary[];
  readonly weights: readonly { readonly at: number; readonly stable: number; readonly canary: number; readonly verified: boolean }[];
  readonly timeline: readonly TimelinePoint[];
  /** Per analysis window: canary and stable values, bounds, verdict and why (declared metrics only). */
  readonly windows: readonly WindowEvidence[];
  /** Failed analyses over the rollout (the failure budget spent). */
  readonly failures: { readonly total: number; readonly rolloutLimit: number; readonly perStepLimit: number; readonly consecutiveLimit: number };
  /** What the analysis could not check, e.g. windows where stable could not be measured for the comparison. */
  readonly notChecked: readonly string[];
  readonly markers: readonly TimelineMarker[];
  readonly hooks: RolloutState["hookOutcomes"];
  readonly plan: RolloutState["plan"];
}

export interface StepSummary {
  readonly step: number;
  readonly canaryWeight: number;
  readonly analyses: number;
  readonly passed: number;
  readonly failed: number;
  readonly errors: number;
  readonly inconclusive: number;
  readonly worstErrorRate?: number;
  readonly worstP95Ms?: number;
}

/** This window's canary value of a metric (a rate's `value` is the rollout's accumulated rate; the window's is in the evidence). */
function numberOf(measurements: readonly Measurement[], metric: string): number | undefined {
  const measurement = measurements.find((each) => each.metric === metric);
  const value = measurement?.evidence?.canary.value ?? measurement?.value;
  return typeof value === "number" ? value : undefined;
}

function windowsOf(state: RolloutState): WindowEvidence[] {
  return state.analyses.map((record) => ({
    at: record.at,
    step: record.step + 1,
    canaryWeight: record.canaryWeight,
    verdict: record.verdict,
    metrics: record.measurements
      .filter((measurement) => metricById(measurement.metric) !== undefined)
      .map((measurement) => ({
        metric: measurement.metric,
        status: measurement.status,
        ...optional("evidence", measurement.evidence),
        ...optional("attribution", measurement.attribution),
        why: measurement.message,
      })),
  }));
}

function notCheckedOf(state: RolloutState): string[] {
  const withoutStable = state.analyses.filter((record) => record.measurements.some((measurement) => measurement.evidence !== undefined && measurement.evidence.stable === undefined)).length;
  return [
    ...(state.plan.baseline === false ? ["the canary was not compared with stable (--no-baseline)"] : []),
    ...(state.plan.baseline !== false && withoutStable > 0 ? [`stable could not be measured in ${withoutStable} window(s): those were judged on absolute limits only`] : []),
  ];
}

function maxOf(values: readonly (number | undefined)[]): number | undefined {
  const defined = values.filter((value): value is number => value !== undefined);
  return defined.length === 0 ? undefined : Math.max(...defined);
}

function markerFor(to: RolloutPhase): TimelineMarker["kind"] | undefined {
  if (to === "shifting") return "step";
  if (to === "rolling-back") return "rollback";
  if (to === "promoted") return "promoted";
  if (to === "paused" || to === "awaiting-approval") return "paused";
  return undefined;
}

/** Everything a person or a machine needs to know about a finished (or stopped) rollout; pure. */
export function buildReport(state: RolloutState): RolloutReport {
  const timeline: TimelinePoint[] = state.analyses.map((record) => ({
    at: record.at,
    canaryWeight: record.canaryWeight,
    verdict: record.verdict,
    ...optional("errorRate", numberOf(record.measurements, "5xx-rate")),
    ...optional("p95Ms", numberOf(record.measurements, "p95-ms")),
  }));
  const markers: TimelineMarker[] = [];
  for (const record of state.transitions) {
    const kind = markerFor(record.to);
    if (!kind) continue;
    const weight = record.step === undefined ? undefined : state.plan.steps[record.step];
    markers.push({ at: record.at, kind, label: kind === "step" ? `step ${(record.step ?? 0) + 1}${weight === undefined ? "" : ` (${weight}%)`}` : kind === "rollback" ? `rollback: ${record.reason ?? ""}` : record.to });
  }
  const steps = state.plan.steps.map((canaryWeight, step): StepSummary => {
    const records = state.analyses.filter((record) => record.step === step);
    const count = (verdict: AnalysisRecord["verdict"]) => records.filter((record) => record.verdict === verdict).length;
    return {
      step: step + 1,
      canaryWeight,
      analyses: records.length,
      passed: count("pass"),
      failed: count("fail"),
      errors: count("error"),
      inconclusive: count("inconclusive"),
      ...optional("worstErrorRate", maxOf(records.map((record) => numberOf(record.measurements, "5xx-rate")))),
      ...optional("worstP95Ms", maxOf(records.map((record) => numberOf(record.measurements, "p95-ms")))),
    };
  });
  return {
    id: state.id,
    environment: state.environment,
    target: state.target,
    image: state.image,
    ...optional("stableImage", state.stableImage),
    outcome: state.phase,
    ...optional("reason", state.reason),
    startedAt: new Date(state.startedAt).toISOString(),
    ...optional("finishedAt", state.finishedAt === undefined ? undefined : new Date(state.finishedAt).toISOString()),
    durationMs: (state.finishedAt ?? state.updatedAt) - state.startedAt,
    steps,
    weights: state.weightHistory.map((record) => ({ at: record.at, ...record.weights, verified: record.verified })),
    timeline,
    windows: windowsOf(state),
    failures: failureLimits(state),
    notChecked: notCheckedOf(state),
    markers,
    hooks: state.hookOutcomes,
    plan: state.plan,
  };
}

/** The limits the rollout ran with: a plan stored before they existed falls back as the engine does. */
function failureLimits(state: RolloutState) {
  const { plan } = state;
  return { total: state.totalFailures ?? 0, rolloutLimit: plan.rolloutFailureLimit, perStepLimit: plan.failureLimit, consecutiveLimit: plan.consecutiveFailureLimit };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function percent(rate: number | undefined): string {
  return rate === undefined ? "-" : `${(Math.round(rate * 10_000) / 100).toFixed(2)}%`;
}

/** A fixed-width table for terminals and CI logs. */
export function formatSummaryTable(report: RolloutReport): string {
  const header = ["step", "canary", "analyses", "pass", "fail", "error", "inconcl.", "max 5xx", "max p95"];
  const rows = report.steps.map((step) => [
    String(step.step),
    `${step.canaryWeight}%`,
    String(step.analyses),
    String(step.passed),
    String(step.failed),
    String(step.errors),
    String(step.inconclusive),
    percent(step.worstErrorRate),
    step.worstP95Ms === undefined ? "-" : `${Math.round(step.worstP95Ms)} ms`,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column] as number)).join("  ").trimEnd();
  return [
    `rollout ${report.id} of ${report.image} to ${report.environment} (${report.target}): ${report.outcome.toUpperCase()} after ${formatDuration(report.durationMs)}`,
    ...(report.reason ? [`reason: ${report.reason}`] : []),
    line(header),
    line(widths.map((width) => "-".repeat(width))),
    ...rows.map(line),
    `failed analyses: ${report.failures.total} (limits: ${report.failures.perStepLimit} per step, ${report.failures.rolloutLimit} per rollout, ${report.failures.consecutiveLimit} in a row)`,
    ...report.notChecked.map((text) => `not checked: ${text}`),
    ...(report.windows.length > 0 ? ["", "evidence per window (canary | stable, same window; rates with their bounds):", ...report.windows.flatMap(formatWindow)] : []),
  ].join("\n");
}

function formatWindow(window: WindowEvidence): string[] {
  const time = new Date(window.at).toISOString().slice(11, 19);
  return [
    `${time} step ${window.step} (${window.canaryWeight}%) ${window.verdict.toUpperCase()}`,
    ...window.metrics.map((metric) => {
      const declared = metricById(metric.metric);
      const format = (value: number | undefined) => (value === undefined || declared === undefined ? "-" : declared.format(value));
      const evidence = metric.evidence;
      const version = (side: MetricEvidence["canary"] | undefined) =>
        side === undefined ? "-" : `${format(side.value)}${side.failures !== undefined ? ` (${side.failures}/${side.trials})` : ""}`;
      const bound = evidence?.canary.lower !== undefined ? ` bounds ${format(evidence.accumulated?.canary.lower ?? evidence.canary.lower)}..${format(evidence.accumulated?.canary.upper ?? evidence.canary.upper)} over ${evidence.accumulated?.windows ?? 1} window(s)` : "";
      const limits = evidence === undefined ? "" : ` limit ${format(evidence.limit)}${evidence.baselineLimit === undefined ? "" : `, vs stable ${format(evidence.baselineLimit)}`}`;
      return `  ${metric.status.padEnd(12)} ${(declared?.title ?? metric.metric).padEnd(17)} ${version(evidence?.canary)} | ${version(evidence?.stable)}${bound}${limits} [${evidence?.rule ?? "-"}${metric.attribution === "both-versions" ? ", both versions" : ""}]`;
    }),
  ];
}

import type { AnalysisRecord, Measurement, RolloutPhase, RolloutState } from "../engine/ports.ts";
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

function numberOf(measurements: readonly Measurement[], metric: string): number | undefined {
  const value = measurements.find((measurement) => measurement.metric === metric)?.value;
  return typeof value === "number" ? value : undefined;
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
    markers,
    hooks: state.hookOutcomes,
    plan: state.plan,
  };
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
  ].join("\n");
}

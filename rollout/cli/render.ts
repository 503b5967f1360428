import path from "node:path";
import { METRICS, settingValue } from "../engine/metrics.ts";
import { DEFAULT_DRIFT_POLICY, estimatedDurationMs, formatDuration } from "../engine/plan.ts";
import type { LockHolder, LockInfo, RolloutPlan, RolloutState } from "../engine/model.ts";
import { formatWeights, sameWeights } from "../engine/shift.ts";
import { formatSummaryTable } from "../report/report.ts";
import type { writeReports } from "../report/write.ts";

/** What the CLI prints for one input problem: the flag (or argument), the value as typed, the problem and the fix. */
export interface FlagIssue {
  readonly field: string;
  readonly value: string;
  readonly problem: string;
  readonly fix: string;
}

export function formatIssues(issues: readonly FlagIssue[]): string {
  return issues.map((issue) => `  ${issue.field}=${JSON.stringify(issue.value)} ${issue.problem}; fix: ${issue.fix}`).join("\n");
}

export function describeHolder(holder: LockHolder, stale?: boolean): string {
  const since = new Date(holder.startedAt).toISOString();
  return `${holder.id} (${holder.user ? `${holder.user}@` : ""}${holder.host}, pid ${holder.pid}, since ${since}${holder.command ? `, \`${holder.command}\`` : ""})${stale ? " - STALE: that process is gone" : ""}`;
}

export function planLines(plan: RolloutPlan): string[] {
  let elapsed = 0;
  const rows = plan.steps.map((canary, index) => {
    elapsed += plan.bakeMs;
    return `  ${String(index + 1).padStart(4)}  ${`${canary}%`.padStart(6)}  ${`${100 - canary}%`.padStart(6)}  ${formatDuration(plan.bakeMs).padStart(6)}  ${formatDuration(elapsed).padStart(8)}`;
  });
  const limits = METRICS.map((metric) => `${metric.title} <= ${metric.format(settingValue(plan.thresholds, metric.limit.key))}`).join(", ");
  const baseline = plan.baseline
    ? `canary vs stable over the same windows: fails when worse by more than ${Math.round(settingValue(plan.thresholds, "baselineMargin") * 100)}% and ${METRICS.flatMap((metric) => (metric.baselineDelta ? [`${metric.format(settingValue(plan.thresholds, metric.baselineDelta.key))} (${metric.title})`] : [])).join(", ")}`
    : "no comparison with stable (--no-baseline)";
  return [
    "  step  canary  stable    bake  elapsed",
    ...rows,
    `estimated duration: ${formatDuration(estimatedDurationMs(plan))} (${plan.steps.length} bakes of ${formatDuration(plan.bakeMs)}) plus deploys${plan.hooks.length > 0 ? " and hooks" : ""}${plan.approvalBeforeEachStep ? " and approvals" : ""}`,
    `analysis every ${formatDuration(plan.intervalMs)}: ${limits}; probes ${plan.probePaths.join(", ") || "(none)"}`,
    `rates judged by ${Math.round(settingValue(plan.thresholds, "confidence") * 1000) / 10}% one-sided Wilson bounds over the rollout so far, failing only with >= ${settingValue(plan.thresholds, "minFailures")} failed requests; ${baseline}`,
    `a step ends on a passing analysis; still inconclusive it bakes up to ${formatDuration(plan.maxBakeMs)}, then -> ${plan.inconclusivePolicy}`,
    `failures tolerated: ${plan.failureLimit} per step, ${plan.rolloutFailureLimit} per rollout, ${plan.consecutiveFailureLimit} in a row; consecutive-error limit ${plan.consecutiveErrorLimit}; drift or unreadable router -> ${plan.driftPolicy ?? DEFAULT_DRIFT_POLICY}${plan.approvalBeforeEachStep ? "; approval required before each step" : ""}`,
    ...plan.hooks.map((hook) => `pre-traffic hook ${hook.name}: ${hook.command} (timeout ${formatDuration(hook.timeoutMs)})`),
  ];
}

/** Both weights when a change was in flight (or failed): the exposure is the larger canary share of the two. */
function weightLines(state: RolloutState): string[] {
  const intended = state.intendedWeights;
  if (!intended || sameWeights(intended, state.weights)) return [`  weights ${formatWeights(state.weights)} (verified)`];
  return [
    `  weights: last verified ${formatWeights(state.weights)}, INTENDED ${formatWeights(intended)}`,
    `    a change was in flight or not verified: the router may show either (up to canary ${Math.max(intended.canary, state.weights.canary)}%); resume/abort read it before acting`,
  ];
}

export function formatStatus(state: RolloutState, lock: LockInfo | undefined): string {
  const step = state.stepIndex < 0 ? "not started" : `${state.stepIndex + 1}/${state.plan.steps.length} (canary ${state.plan.steps[state.stepIndex]}%)`;
  const latest = state.analyses.at(-1);
  const request = state.requestLog?.at(-1);
  return [
    `rollout ${state.id}: ${state.phase.toUpperCase()}`,
    `  environment ${state.environment} (${state.target}), image ${state.image}${state.stableImage ? `, stable ${state.stableImage}` : ""}`,
    `  step ${step}, failures ${state.failures} in this step / ${state.totalFailures ?? state.failures} in the rollout, consecutive errors ${state.consecutiveErrors}`,
    ...weightLines(state),
    ...(request ? [`  last operator request: ${request.kind} by ${request.by}: ${request.outcome} (${request.note})`] : []),
    `  started ${new Date(state.startedAt).toISOString()}, updated ${new Date(state.updatedAt).toISOString()}`,
    ...(state.reason ? [`  reason: ${state.reason}`] : []),
    `  lock: ${lock ? describeHolder(lock.holder, lock.stale) : "free"}`,
    ...(latest ? [`  last analysis ${new Date(latest.at).toISOString()}: ${latest.verdict}`, ...latest.measurements.map((m) => `    ${m.status.padEnd(12)} ${m.message}`)] : []),
  ].join("\n");
}

type WrittenReports = Awaited<ReturnType<typeof writeReports>>;

/** The end of a rollout run in this process: the summary (stdout) and what a person must do next (stderr). */
export function finishedOutput(final: RolloutState, written: WrittenReports, options: { readonly json: boolean; readonly cwd: string }): { readonly stdout: string; readonly stderr: readonly string[] } {
  const stdout = options.json
    ? JSON.stringify({ ...written.report, files: written.files }, null, 2)
    : `\n${formatSummaryTable(written.report)}\nreports in ${path.relative(options.cwd, written.directory) || "."}/: ${Object.values(written.files).map((file) => path.basename(file)).join(", ")}`;
  const stderr = [
    ...(final.phase === "rollback-failed" ? [`\n!!! ROLLBACK NOT VERIFIED for ${final.environment}: traffic may still reach the canary. See docs/runbook.md ("rollback-failed").\n!!! ${final.reason ?? ""}`] : []),
    ...(final.phase === "paused" || final.phase === "awaiting-approval" ? [`paused: ${final.reason ?? ""}\ncontinue with \`npm run rollout -- resume --env ${final.environment}\`, or \`promote\` / \`abort\``] : []),
  ];
  return { stdout, stderr };
}

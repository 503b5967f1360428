import { allSettings, defaultThresholds } from "./metrics.ts";
import type { AnalysisThresholds, InconclusivePolicy, PreTrafficHook, RolloutPlan } from "./model.ts";

/** One problem with the operator's input: which field, what was given, and what to do instead. */
export interface PlanIssue {
  readonly field: string;
  readonly value: string;
  readonly problem: string;
  readonly fix: string;
}

export type PlanResult = { readonly ok: true; readonly plan: RolloutPlan } | { readonly ok: false; readonly issues: readonly PlanIssue[] };

/** Every metric's limit and every analysis setting at its declared default (rollout/engine/metrics.ts). */
export const DEFAULT_THRESHOLDS: AnalysisThresholds = defaultThresholds();

export const DEFAULT_PLAN: RolloutPlan = {
  steps: [10, 50, 100],
  bakeMs: 60_000,
  intervalMs: 10_000,
  failureLimit: 0,
  rolloutFailureLimit: 0,
  consecutiveFailureLimit: 0,
  maxBakeMs: 180_000,
  baseline: true,
  consecutiveErrorLimit: 2,
  inconclusivePolicy: "pause",
  manualGate: false,
  thresholds: DEFAULT_THRESHOLDS,
  probePaths: ["/health", "/health/ready", "/health/live"],
  hooks: [],
  verifyTimeoutMs: 30_000,
  verifyRetryMs: 500,
};

/**
 * What the CLI collected, still as text where the operator typed text: parsing and validation live here so
 * that every problem is found in one pass and reported together.
 */
export interface PlanInput {
  readonly steps?: string;
  readonly bake?: string;
  readonly interval?: string;
  readonly failureLimit?: string;
  readonly rolloutFailureLimit?: string;
  readonly consecutiveFailureLimit?: string;
  readonly consecutiveErrorLimit?: string;
  readonly maxBake?: string;
  /** False turns the comparison with stable off (`--no-baseline`). */
  readonly baseline?: boolean;
  /** Metric limits and analysis settings as typed, keyed by their flag (`--max-error-rate`: "1"). */
  readonly settings?: Readonly<Record<string, string>>;
  readonly nonInteractive?: boolean;
  readonly manualGate?: boolean;
  readonly probePaths?: string;
  /** `name=command` entries. */
  readonly hooks?: readonly string[];
  readonly hookTimeout?: string;
  readonly verifyTimeout?: string;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `500ms`, `30s`, `2m`, `1h` -> milliseconds; undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] as string] as number));
}

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  const seconds = Math.round(ms / 1_000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return rest === 0 ? `${minutes}m` : `${minutes}m${rest}s`;
}

/** Collects issues while reading fields, so one call reports every bad field. */
class FieldReader {
  readonly issues: PlanIssue[] = [];

  report(field: string, value: string, problem: string, fix: string): void {
    this.issues.push({ field, value, problem, fix });
  }

  duration(field: string, text: string | undefined, fallback: number, minimumMs: number): number {
    if (text === undefined) return fallback;
    const ms = parseDuration(text);
    if (ms === undefined) {
      this.report(field, text, "is not a duration", "write a number with a unit: 500ms, 30s, 2m or 1h");
      return fallback;
    }
    if (ms < minimumMs) {
      this.report(field, text, `is shorter than ${formatDuration(minimumMs)}`, `use at least ${formatDuration(minimumMs)}`);
      return fallback;
    }
    return ms;
  }

  number(field: string, text: string | undefined, fallback: number, range: { min: number; max?: number; integer?: boolean }): number {
    if (text === undefined) return fallback;
    const value = Number(text);
    const inRange = text.trim() !== "" && Number.isFinite(value) && value >= range.min && (range.max === undefined || value <= range.max);
    if (!inRange || (range.integer && !Number.isInteger(value))) {
      const kind = range.integer ? "an integer" : "a number";
      const bounds = range.max === undefined ? `>= ${range.min}` : `between ${range.min} and ${range.max}`;
      this.report(field, text, `is not ${kind} ${bounds}`, `give ${kind} ${bounds}`);
      return fallback;
    }
    return value;
  }
}

function readSteps(reader: FieldReader, text: string | undefined): readonly number[] {
  if (text === undefined) return DEFAULT_PLAN.steps;
  const parts = text.split(/[,\s>-]+/).filter((part) => part !== "");
  const steps = parts.map(Number);
  const fix = "give strictly increasing integer percentages ending at 100, e.g. --steps 10,50,100";
  if (steps.length === 0 || steps.some((step) => !Number.isInteger(step))) {
    reader.report("--steps", text, "is not a list of integers", fix);
    return DEFAULT_PLAN.steps;
  }
  const problems: string[] = [];
  if (steps.some((step) => step < 1 || step > 100)) problems.push("has a weight outside 1-100");
  if (steps.some((step, index) => index > 0 && step <= (steps[index - 1] as number))) problems.push("is not strictly increasing");
  if (steps.at(-1) !== 100) problems.push("does not end at 100 (the canary must carry all traffic before it is promoted)");
  for (const problem of problems) reader.report("--steps", text, problem, fix);
  return problems.length === 0 ? steps : DEFAULT_PLAN.steps;
}

function readHooks(reader: FieldReader, entries: readonly string[] | undefined, timeoutMs: number): readonly PreTrafficHook[] {
  const hooks: PreTrafficHook[] = [];
  for (const entry of entries ?? []) {
    const separator = entry.indexOf("=");
    const name = entry.slice(0, separator).trim();
    const command = entry.slice(separator + 1).trim();
    if (separator <= 0 || !/^[A-Za-z0-9_-]+$/.test(name) || command === "") {
      reader.report("--hook", entry, "is not name=command", "write e.g. --hook 'migrate=python manage.py migrate --noinput'");
      continue;
    }
    hooks.push({ name, command, timeoutMs });
  }
  return hooks;
}

/** Every declared metric limit and analysis setting, from its flag's text or its default. */
function readSettings(reader: FieldReader, given: Readonly<Record<string, string>>): AnalysisThresholds {
  const known = allSettings();
  for (const flag of Object.keys(given)) {
    if (!known.some((setting) => setting.flag === flag)) reader.report(flag, given[flag] ?? "", "is not a metric limit or analysis setting", `use one of ${known.map((setting) => setting.flag).join(", ")}`);
  }
  const values = known.map((setting) => {
    const fallback = setting.default / setting.scale;
    const value = reader.number(setting.flag, given[setting.flag], fallback, setting.range);
    if (setting.range.exclusiveMin && value <= setting.range.min) reader.report(setting.flag, given[setting.flag] ?? "", `is not above ${setting.range.min}`, `give a number above ${setting.range.min}`);
    // Scaling by 0.01 in binary leaves 0.010000000000000002 for 1 %: round to what was typed.
    return [setting.key, Number((value * setting.scale).toPrecision(12))] as const;
  });
  return Object.fromEntries(values) as unknown as AnalysisThresholds;
}

/**
 * A plan as stored, with the fields added after it was written set to their defaults, so that a rollout
 * started by an older version resumes with the same meaning (no baseline then: it was never judged).
 */
export function withPlanDefaults(plan: RolloutPlan): RolloutPlan {
  const stored: Partial<RolloutPlan> = plan;
  return {
    ...plan,
    rolloutFailureLimit: stored.rolloutFailureLimit ?? plan.failureLimit,
    consecutiveFailureLimit: stored.consecutiveFailureLimit ?? plan.failureLimit,
    maxBakeMs: stored.maxBakeMs ?? plan.bakeMs,
    baseline: stored.baseline ?? false,
  };
}

/** Builds a validated plan from operator input; pure. Reports every problem at once. */
export function buildPlan(input: PlanInput): PlanResult {
  const reader = new FieldReader();
  const steps = readSteps(reader, input.steps);
  const intervalMs = reader.duration("--interval", input.interval, DEFAULT_PLAN.intervalMs, 100);
  const bakeMs = reader.duration("--bake", input.bake, DEFAULT_PLAN.bakeMs, 100);
  if (bakeMs < intervalMs && !reader.issues.some((issue) => issue.field === "--bake" || issue.field === "--interval")) {
    reader.report("--bake", input.bake ?? formatDuration(bakeMs), `is shorter than --interval (${formatDuration(intervalMs)}), so a step would never be analysed`, "make --bake at least as long as --interval");
  }
  const failureLimit = reader.number("--failure-limit", input.failureLimit, DEFAULT_PLAN.failureLimit, { min: 0, integer: true });
  // Unless given, the rollout-wide budget and the run of failures default to the per-step limit: raising
  // --failure-limit alone tolerates that many blips per step, not per step over and over.
  const rolloutFailureLimit = reader.number("--rollout-failure-limit", input.rolloutFailureLimit, failureLimit, { min: 0, integer: true });
  const consecutiveFailureLimit = reader.number("--consecutive-failure-limit", input.consecutiveFailureLimit, failureLimit, { min: 0, integer: true });
  const consecutiveErrorLimit = reader.number("--consecutive-error-limit", input.consecutiveErrorLimit, DEFAULT_PLAN.consecutiveErrorLimit, { min: 0, integer: true });
  const maxBakeMs = reader.duration("--max-bake", input.maxBake, Math.max(3 * bakeMs, bakeMs + intervalMs), 100);
  if (maxBakeMs < bakeMs && input.maxBake !== undefined) reader.report("--max-bake", input.maxBake, `is shorter than --bake (${formatDuration(bakeMs)})`, "make --max-bake at least as long as --bake");
  const thresholds = readSettings(reader, input.settings ?? {});
  const hookTimeoutMs = reader.duration("--hook-timeout", input.hookTimeout, 10 * 60_000, 1_000);
  const verifyTimeoutMs = reader.duration("--verify-timeout", input.verifyTimeout, DEFAULT_PLAN.verifyTimeoutMs, 100);
  const probePaths = input.probePaths === undefined ? DEFAULT_PLAN.probePaths : input.probePaths.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
  for (const probePath of probePaths) {
    if (!probePath.startsWith("/")) reader.report("--probe-paths", input.probePaths ?? "", `path ${JSON.stringify(probePath)} does not start with /`, "give absolute paths, e.g. /health,/health/ready");
  }
  const hooks = readHooks(reader, input.hooks, hookTimeoutMs);
  if (reader.issues.length > 0) return { ok: false, issues: reader.issues };
  const inconclusivePolicy: InconclusivePolicy = input.nonInteractive ? "fail" : "pause";
  return {
    ok: true,
    plan: {
      ...DEFAULT_PLAN,
      steps,
      bakeMs,
      intervalMs,
      failureLimit,
      rolloutFailureLimit,
      consecutiveFailureLimit,
      maxBakeMs,
      baseline: input.baseline ?? true,
      consecutiveErrorLimit,
      inconclusivePolicy,
      manualGate: input.manualGate ?? false,
      thresholds,
      probePaths,
      hooks,
      verifyTimeoutMs,
    },
  };
}

/** Lower bound of a rollout's duration: every step bakes; deploys and hooks come on top. */
export function estimatedDurationMs(plan: RolloutPlan): number {
  return plan.steps.length * plan.bakeMs;
}

export function formatIssues(issues: readonly PlanIssue[]): string {
  return issues.map((issue) => `  ${issue.field}=${JSON.stringify(issue.value)} ${issue.problem}; fix: ${issue.fix}`).join("\n");
}

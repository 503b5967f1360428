import { z } from "zod";
import { allSettings, defaultThresholds } from "./metrics.ts";
import type { AnalysisThresholds, DriftPolicy, PreTrafficHook, RolloutPlan } from "./model.ts";

/**
 * One problem with the operator's input: the field by its path in the plan input (`bakeMs`,
 * `thresholds.maxP95Ms`), what was given, and what to do instead. Callers name the field in their own words
 * (the CLI prints its flag).
 */
export interface PlanIssue {
  readonly path: string;
  readonly value: string;
  readonly problem: string;
  readonly fix: string;
}

/**
 * How messages name a field (the field itself and others it is compared with), by path. The engine knows
 * no flag: the CLI passes its flag names; the default is the path.
 */
export type FieldNamer = (path: PlanPath) => string;

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
  approvalBeforeEachStep: false,
  thresholds: DEFAULT_THRESHOLDS,
  probePaths: ["/health", "/health/ready", "/health/live"],
  hooks: [],
  verifyTimeoutMs: 30_000,
  verifyRetryMs: 500,
};

/** A value as the operator typed it: durations (`500ms`, `30s`, `2m`, `1h`), numbers and lists as text. */
const typed = z.string().optional();

/**
 * The operator's choices, named as the plan names them (one name per field, from the flag table of the CLI
 * to the stored plan), with values still as typed: parsing and validation live here so that every problem
 * is found in one pass and reported together, by path. Unknown fields are problems too.
 */
const PlanInputSchema = z.strictObject({
  /** Canary percentages, e.g. `10,50,100`. */
  steps: typed,
  bakeMs: typed,
  intervalMs: typed,
  failureLimit: typed,
  rolloutFailureLimit: typed,
  consecutiveFailureLimit: typed,
  consecutiveErrorLimit: typed,
  maxBakeMs: typed,
  /** False turns the comparison with stable off. */
  baseline: z.boolean().optional(),
  /** Metric limits and analysis settings by key (rollout/engine/metrics.ts), in the units they are typed in. */
  thresholds: z.record(z.string(), z.string()).optional(),
  inconclusivePolicy: z.enum(["pause", "fail"]).optional(),
  approvalBeforeEachStep: z.boolean().optional(),
  driftPolicy: typed,
  /** Comma-separated absolute paths. */
  probePaths: typed,
  /** `name=command` entries. */
  hooks: z.array(z.string()).optional(),
  /** The timeout of every hook. */
  hookTimeoutMs: typed,
  verifyTimeoutMs: typed,
});

export type PlanInput = z.input<typeof PlanInputSchema>;

/** A field of the plan input: a top-level key, or `thresholds.<setting key>`. */
export type PlanPath = Exclude<keyof PlanInput, "thresholds"> | `thresholds.${string}`;

/** Every path the plan input accepts, settings included: what a caller must be able to name. */
export function planPaths(): readonly PlanPath[] {
  const top = Object.keys(PlanInputSchema.shape).filter((key): key is Exclude<keyof PlanInput, "thresholds"> => key !== "thresholds");
  return [...top, ...allSettings().map((setting) => `thresholds.${setting.key}` as const)];
}

export const DRIFT_POLICIES: readonly DriftPolicy[] = ["rollback", "pause"];
/** Drift (or a router that cannot be read) rolls back unless asked otherwise: a split nobody planned is not safe to bake. */
export const DEFAULT_DRIFT_POLICY: DriftPolicy = "rollback";

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

  constructor(readonly name: FieldNamer) {}

  report(path: PlanPath, value: string, problem: string, fix: string): void {
    this.issues.push({ path, value, problem, fix });
  }

  has(...paths: readonly PlanPath[]): boolean {
    return this.issues.some((issue) => (paths as readonly string[]).includes(issue.path));
  }

  duration(path: PlanPath, text: string | undefined, fallback: number, minimumMs: number): number {
    if (text === undefined) return fallback;
    const ms = parseDuration(text);
    if (ms === undefined) {
      this.report(path, text, "is not a duration", "write a number with a unit: 500ms, 30s, 2m or 1h");
      return fallback;
    }
    if (ms < minimumMs) {
      this.report(path, text, `is shorter than ${formatDuration(minimumMs)}`, `use at least ${formatDuration(minimumMs)}`);
      return fallback;
    }
    return ms;
  }

  number(path: PlanPath, text: string | undefined, fallback: number, range: { min: number; max?: number; integer?: boolean }): number {
    if (text === undefined) return fallback;
    const value = Number(text);
    const inRange = text.trim() !== "" && Number.isFinite(value) && value >= range.min && (range.max === undefined || value <= range.max);
    if (!inRange || (range.integer && !Number.isInteger(value))) {
      const kind = range.integer ? "an integer" : "a number";
      const bounds = range.max === undefined ? `>= ${range.min}` : `between ${range.min} and ${range.max}`;
      this.report(path, text, `is not ${kind} ${bounds}`, `give ${kind} ${bounds}`);
      return fallback;
    }
    return value;
  }
}

function readSteps(reader: FieldReader, text: string | undefined): readonly number[] {
  if (text === undefined) return DEFAULT_PLAN.steps;
  const parts = text.split(/[,\s>-]+/).filter((part) => part !== "");
  const steps = parts.map(Number);
  const fix = `give strictly increasing integer percentages ending at 100, e.g. ${reader.name("steps")} 10,50,100`;
  if (steps.length === 0 || steps.some((step) => !Number.isInteger(step))) {
    reader.report("steps", text, "is not a list of integers", fix);
    return DEFAULT_PLAN.steps;
  }
  const problems: string[] = [];
  if (steps.some((step) => step < 1 || step > 100)) problems.push("has a weight outside 1-100");
  if (steps.some((step, index) => index > 0 && step <= (steps[index - 1] as number))) problems.push("is not strictly increasing");
  if (steps.at(-1) !== 100) problems.push("does not end at 100 (the canary must carry all traffic before it is promoted)");
  for (const problem of problems) reader.report("steps", text, problem, fix);
  return problems.length === 0 ? steps : DEFAULT_PLAN.steps;
}

function readHooks(reader: FieldReader, entries: readonly string[] | undefined, timeoutMs: number): readonly PreTrafficHook[] {
  const hooks: PreTrafficHook[] = [];
  for (const entry of entries ?? []) {
    const separator = entry.indexOf("=");
    const name = entry.slice(0, separator).trim();
    const command = entry.slice(separator + 1).trim();
    if (separator <= 0 || !/^[A-Za-z0-9_-]+$/.test(name) || command === "") {
      reader.report("hooks", entry, "is not name=command", `write e.g. ${reader.name("hooks")} 'migrate=python manage.py migrate --noinput'`);
      continue;
    }
    hooks.push({ name, command, timeoutMs });
  }
  return hooks;
}

/** Every declared metric limit and analysis setting, from its typed text or its default. */
function readSettings(reader: FieldReader, given: Readonly<Record<string, string>>): AnalysisThresholds {
  const known = allSettings();
  for (const key of Object.keys(given)) {
    if (!known.some((setting) => setting.key === key)) reader.report(`thresholds.${key}`, given[key] ?? "", "is not a metric limit or analysis setting", `use one of ${known.map((setting) => reader.name(`thresholds.${setting.key}`)).join(", ")}`);
  }
  const values = known.map((setting) => {
    const path = `thresholds.${setting.key}` as const;
    const fallback = setting.default / setting.scale;
    const value = reader.number(path, given[setting.key], fallback, setting.range);
    if (setting.range.exclusiveMin && value <= setting.range.min) reader.report(path, given[setting.key] ?? "", `is not above ${setting.range.min}`, `give a number above ${setting.range.min}`);
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
  // Before issue 14 the approval before each step was stored as `manualGate`.
  const { manualGate, ...stored }: Partial<RolloutPlan> & { readonly manualGate?: boolean } = plan;
  return {
    ...(stored as RolloutPlan),
    approvalBeforeEachStep: stored.approvalBeforeEachStep ?? manualGate ?? false,
    rolloutFailureLimit: stored.rolloutFailureLimit ?? plan.failureLimit,
    consecutiveFailureLimit: stored.consecutiveFailureLimit ?? plan.failureLimit,
    maxBakeMs: stored.maxBakeMs ?? plan.bakeMs,
    baseline: stored.baseline ?? false,
  };
}

/**
 * Builds a validated plan from operator input; pure. Reports every problem at once, by path, with messages
 * that name fields through `name`.
 */
export function buildPlan(given: PlanInput, name: FieldNamer = (path) => path): PlanResult {
  const shape = PlanInputSchema.safeParse(given);
  if (!shape.success) return { ok: false, issues: shape.error.issues.flatMap((issue) => shapeIssues(issue, given)) };
  const input = shape.data;
  const reader = new FieldReader(name);
  const steps = readSteps(reader, input.steps);
  const intervalMs = reader.duration("intervalMs", input.intervalMs, DEFAULT_PLAN.intervalMs, 100);
  const bakeMs = reader.duration("bakeMs", input.bakeMs, DEFAULT_PLAN.bakeMs, 100);
  if (bakeMs < intervalMs && !reader.has("bakeMs", "intervalMs")) {
    reader.report("bakeMs", input.bakeMs ?? formatDuration(bakeMs), `is shorter than ${name("intervalMs")} (${formatDuration(intervalMs)}), so a step would never be analysed`, `make ${name("bakeMs")} at least as long as ${name("intervalMs")}`);
  }
  const failureLimit = reader.number("failureLimit", input.failureLimit, DEFAULT_PLAN.failureLimit, { min: 0, integer: true });
  // Unless given, the rollout-wide budget and the run of failures default to the per-step limit: raising
  // the failure limit alone tolerates that many blips per step, not per step over and over.
  const rolloutFailureLimit = reader.number("rolloutFailureLimit", input.rolloutFailureLimit, failureLimit, { min: 0, integer: true });
  const consecutiveFailureLimit = reader.number("consecutiveFailureLimit", input.consecutiveFailureLimit, failureLimit, { min: 0, integer: true });
  const consecutiveErrorLimit = reader.number("consecutiveErrorLimit", input.consecutiveErrorLimit, DEFAULT_PLAN.consecutiveErrorLimit, { min: 0, integer: true });
  const maxBakeMs = reader.duration("maxBakeMs", input.maxBakeMs, Math.max(3 * bakeMs, bakeMs + intervalMs), 100);
  if (maxBakeMs < bakeMs && input.maxBakeMs !== undefined) reader.report("maxBakeMs", input.maxBakeMs, `is shorter than ${name("bakeMs")} (${formatDuration(bakeMs)})`, `make ${name("maxBakeMs")} at least as long as ${name("bakeMs")}`);
  const thresholds = readSettings(reader, input.thresholds ?? {});
  const hookTimeoutMs = reader.duration("hookTimeoutMs", input.hookTimeoutMs, 10 * 60_000, 1_000);
  const verifyTimeoutMs = reader.duration("verifyTimeoutMs", input.verifyTimeoutMs, DEFAULT_PLAN.verifyTimeoutMs, 100);
  const probePaths = input.probePaths === undefined ? DEFAULT_PLAN.probePaths : input.probePaths.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
  for (const probePath of probePaths) {
    if (!probePath.startsWith("/")) reader.report("probePaths", input.probePaths ?? "", `path ${JSON.stringify(probePath)} does not start with /`, "give absolute paths, e.g. /health,/health/ready");
  }
  const hooks = readHooks(reader, input.hooks, hookTimeoutMs);
  const driftPolicy = input.driftPolicy ?? DEFAULT_DRIFT_POLICY;
  if (!DRIFT_POLICIES.includes(driftPolicy as DriftPolicy)) reader.report("driftPolicy", driftPolicy, "is not a drift policy", `use one of: ${DRIFT_POLICIES.join(", ")}`);
  if (reader.issues.length > 0) return { ok: false, issues: reader.issues };
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
      inconclusivePolicy: input.inconclusivePolicy ?? DEFAULT_PLAN.inconclusivePolicy,
      approvalBeforeEachStep: input.approvalBeforeEachStep ?? false,
      thresholds,
      probePaths,
      hooks,
      verifyTimeoutMs,
      driftPolicy: driftPolicy as DriftPolicy,
    },
  };
}

/** A plan input of the wrong shape (a caller's bug, or a field nobody knows), one issue per field. */
function shapeIssues(issue: z.core.$ZodIssue, given: unknown): PlanIssue[] {
  const at = (path: readonly PropertyKey[]) => path.map(String).join(".");
  const valueAt = (path: readonly PropertyKey[]) => JSON.stringify(path.reduce<unknown>((value, key) => (value as Record<PropertyKey, unknown> | undefined)?.[key], given)) ?? "(missing)";
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ path: at([...issue.path, key]), value: valueAt([...issue.path, key]), problem: "is not a field of the plan input", fix: `use one of ${planPaths().join(", ")}` }));
  }
  return [{ path: at(issue.path), value: valueAt(issue.path), problem: issue.message, fix: "see PlanInputSchema in rollout/engine/plan.ts" }];
}

/** Lower bound of a rollout's duration: every step bakes; deploys and hooks come on top. */
export function estimatedDurationMs(plan: RolloutPlan): number {
  return plan.steps.length * plan.bakeMs;
}

import { Option, type Command } from "commander";
import { allSettings } from "../engine/metrics.ts";
import { buildPlan, DEFAULT_DRIFT_POLICY, DEFAULT_PLAN, DRIFT_POLICIES, formatDuration } from "../engine/plan.ts";
import type { PlanInput, PlanPath } from "../engine/plan.ts";
import type { RolloutPlan } from "../engine/model.ts";
import type { FlagIssue } from "./render.ts";

/**
 * The CLI's words for the plan: one flag per field of the plan input (rollout/engine/plan.ts), declared here
 * only. The engine names fields by path; this table gives each path its flag for parsing, `--help` and
 * messages. TypeScript holds every top-level field to a flag; test/rollout-cli-plan-flags.test.ts holds
 * every metric limit and analysis setting to one.
 */
interface PlanFlag {
  readonly option: Option;
  /** The input value from what commander parsed; absent: the parsed value itself. */
  readonly toInput?: (parsed: unknown) => unknown;
}

type TopLevelPath = Exclude<PlanPath, `thresholds.${string}`>;

/** In `--help` order. */
const PLAN_FLAGS = {
  steps: { option: new Option("--steps <list>", `canary weights in percent, increasing, ending at 100 (default ${DEFAULT_PLAN.steps.join(",")})`) },
  bakeMs: { option: new Option("--bake <duration>", `bake time per step, e.g. 30s, 2m (default ${formatDuration(DEFAULT_PLAN.bakeMs)})`) },
  intervalMs: { option: new Option("--interval <duration>", `analysis interval (default ${formatDuration(DEFAULT_PLAN.intervalMs)})`) },
  failureLimit: { option: new Option("--failure-limit <n>", `failed analyses tolerated per step (default ${DEFAULT_PLAN.failureLimit})`) },
  rolloutFailureLimit: { option: new Option("--rollout-failure-limit <n>", "failed analyses tolerated over the whole rollout (default: --failure-limit)") },
  consecutiveFailureLimit: { option: new Option("--consecutive-failure-limit <n>", "failed analyses tolerated in a row, across steps (default: --failure-limit)") },
  consecutiveErrorLimit: { option: new Option("--consecutive-error-limit <n>", `analyses that could not be taken, tolerated in a row (default ${DEFAULT_PLAN.consecutiveErrorLimit})`) },
  maxBakeMs: { option: new Option("--max-bake <duration>", "how long a step with inconclusive evidence keeps baking before it pauses (default 3 x --bake)") },
  baseline: { option: new Option("--no-baseline", "do not compare the canary with stable (absolute limits only)") },
  probePaths: { option: new Option("--probe-paths <list>", `paths probed on the canary (default ${DEFAULT_PLAN.probePaths.join(",")})`) },
  hooks: { option: new Option("--hook <name=command>", "pre-traffic hook (repeatable)").argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]) },
  hookTimeoutMs: { option: new Option("--hook-timeout <duration>", "timeout of each hook (default 10m)") },
  verifyTimeoutMs: { option: new Option("--verify-timeout <duration>", `how long to read weights back before a shift counts as failed (default ${formatDuration(DEFAULT_PLAN.verifyTimeoutMs)})`) },
  approvalBeforeEachStep: { option: new Option("--require-approval", "wait for `resume` (an approval) before each step") },
  driftPolicy: { option: new Option("--on-drift <policy>", `when the router shows other weights than the plan, or cannot be read: ${DRIFT_POLICIES.join(" | ")} (default ${DEFAULT_DRIFT_POLICY})`) },
  inconclusivePolicy: { option: new Option("--non-interactive", "inconclusive analysis fails instead of pausing (CI)"), toInput: (parsed) => (parsed === true ? "fail" : undefined) },
} as const satisfies Readonly<Record<TopLevelPath, PlanFlag>>;

/** Flags of the metric limits and analysis settings (rollout/engine/metrics.ts), by setting key. */
const SETTING_FLAGS: Readonly<Record<string, { readonly flags: string; readonly help: string }>> = {
  max5xxRate: { flags: "--max-error-rate <percent>", help: "maximum canary 5xx rate in percent" },
  baselineErrorDelta: { flags: "--baseline-error-delta <points>", help: "percentage points the canary's 5xx rate may exceed stable's before it fails against stable" },
  maxP95Ms: { flags: "--max-p95 <ms>", help: "maximum canary p95 latency in ms" },
  baselineP95DeltaMs: { flags: "--baseline-p95-delta <ms>", help: "milliseconds the canary's p95 may exceed stable's before it fails against stable" },
  maxUnhealthyTargets: { flags: "--max-unhealthy <n>", help: "maximum unhealthy canary targets" },
  confidence: { flags: "--confidence <percent>", help: "one-sided confidence (percent) a rate needs to pass: its upper bound under the limit" },
  failConfidence: { flags: "--fail-confidence <percent>", help: "one-sided confidence (percent) a rate needs to fail: its lower bound over the limit (higher: every window looks again)" },
  minFailures: { flags: "--min-failures <n>", help: "failed requests a rate needs before it can fail" },
  minRequests: { flags: "--min-requests <n>", help: "requests a window needs for its latency to count as evidence" },
  baselineMargin: { flags: "--baseline-margin <percent>", help: "how much worse than stable (relative, percent) the canary may be" },
};

/** The options of every declared setting, in declaration order; throws for a setting without a flag. */
function settingOptions(): readonly { readonly key: string; readonly option: Option }[] {
  return allSettings().map((setting) => {
    const declared = SETTING_FLAGS[setting.key];
    if (declared === undefined) throw new Error(`the analysis setting ${setting.key} has no flag in rollout/cli/plan-flags.ts`);
    return { key: setting.key, option: new Option(declared.flags, `${declared.help} (default ${Number((setting.default / setting.scale).toPrecision(12))})`) };
  });
}

/** The flag of a plan-input field, as messages name it; a path without one is named as is. */
export function flagOf(path: string): string {
  const option = path.startsWith("thresholds.") ? settingOptions().find((setting) => `thresholds.${setting.key}` === path)?.option : (PLAN_FLAGS as Readonly<Record<string, PlanFlag>>)[path]?.option;
  return option?.long ?? path;
}

/** Every plan flag on `command`: the settings, then the plan's own, as `--help` lists them. */
export function withPlanFlags(command: Command): Command {
  for (const { option } of [...settingOptions(), ...Object.values(PLAN_FLAGS)]) command.addOption(option);
  return command;
}

/** The plan input from commander's options: each flag's value at its field's path; flags not given keep the defaults. */
export function planInputOf(options: Readonly<Record<string, unknown>>): PlanInput {
  const input: Record<string, unknown> = {};
  for (const [path, flag] of Object.entries(PLAN_FLAGS) as [TopLevelPath, PlanFlag][]) {
    const parsed = options[flag.option.attributeName()];
    const value = parsed === undefined ? undefined : flag.toInput ? flag.toInput(parsed) : parsed;
    if (value !== undefined) input[path] = value;
  }
  const thresholds = settingOptions().flatMap(({ key, option }) => {
    const value = options[option.attributeName()];
    return typeof value === "string" ? [[key, value] as const] : [];
  });
  if (thresholds.length > 0) input.thresholds = Object.fromEntries(thresholds);
  return input as PlanInput;
}

export type FlagPlanResult = { readonly ok: true; readonly plan: RolloutPlan } | { readonly ok: false; readonly issues: readonly FlagIssue[] };

/** The plan from commander's options, every problem at once, each named by its flag. */
export function planFromFlags(options: Readonly<Record<string, unknown>>): FlagPlanResult {
  const result = buildPlan(planInputOf(options), flagOf);
  if (result.ok) return result;
  return { ok: false, issues: result.issues.map(({ path, ...issue }) => ({ field: flagOf(path), ...issue })) };
}

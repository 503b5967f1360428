import { randomBytes, randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import type { Writable } from "node:stream";
import { Command, CommanderError, Option } from "commander";
import { analysersFor } from "../engine/analysers.ts";
import { allSettings, METRICS, settingValue } from "../engine/metrics.ts";
import { systemClock } from "../engine/clock.ts";
import { newRolloutState, runRollout } from "../engine/engine.ts";
import { exitCodeFor, isTerminal } from "../engine/machine.ts";
import { buildPlan, DEFAULT_PLAN, estimatedDurationMs, withPlanDefaults, formatDuration, formatIssues } from "../engine/plan.ts";
import type { PlanInput, PlanIssue, PlanResult } from "../engine/plan.ts";
import type { DriftPolicy, LockHolder, LockInfo, OperatorRequest, OperatorRequestKind, RequestRecord, RolloutPlan, RolloutState, Weights } from "../engine/model.ts";
import type { Target, TargetOptions } from "../engine/ports.ts";
import { StoreDamageError } from "../store/damage.ts";
import { writeReports } from "../report/write.ts";
import { formatSummaryTable } from "../report/report.ts";
import { imageIssues, loadTargetFactory, targetNames } from "../targets/index.ts";
import { EXIT as CONTRACT, unknownOptionProblem, usageExitCode, UsageError } from "../../cli/exit-codes.ts";
import { ENVIRONMENT_NAME, rolloutEnvironment } from "../../config/stack-identity.ts";
import { lineReporter, terminalReporter } from "./progress.ts";
import type { ClosableReporter } from "./progress.ts";

/** Exit codes: the contract of every command (cli/exit-codes.ts, docs/cli.md) in the rollout's words. */
export const EXIT = { promoted: CONTRACT.ok, rolledBack: CONTRACT.failed, refused: CONTRACT.badInput, paused: CONTRACT.needsHuman } as const;

export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly cwd: string;
  /** Live progress and in-process pauses only on a terminal. */
  readonly interactive: boolean;
  /** Where SIGINT/SIGTERM are subscribed; tests pass their own emitter. */
  readonly signals: Pick<NodeJS.Process, "on" | "off">;
}

interface CommonOptions {
  env?: string;
  stack?: string;
  target?: string;
  json?: boolean;
}

interface PlanOptions extends CommonOptions {
  steps?: string;
  bake?: string;
  interval?: string;
  failureLimit?: string;
  rolloutFailureLimit?: string;
  consecutiveFailureLimit?: string;
  consecutiveErrorLimit?: string;
  maxBake?: string;
  /** commander sets false for `--no-baseline`. */
  baseline?: boolean;
  probePaths?: string;
  hook?: string[];
  hookTimeout?: string;
  verifyTimeout?: string;
  manualGate?: boolean;
  nonInteractive?: boolean;
  onDrift?: string;
}

interface StartOptions extends PlanOptions {
  image?: string;
  reportDir?: string;
  takeOverStale?: boolean;
}

interface OperatorOptions extends CommonOptions {
  reason?: string;
  reportDir?: string;
  takeOverStale?: boolean;
  nonInteractive?: boolean;
}

/** How long `abort`/`promote`/`resume` wait for the running rollout to answer before withdrawing the request. */
const ANSWER_TIMEOUT_MS = 10_000;

/** Refusal with a message for the operator; becomes exit code 2 with nothing changed. */
class Refusal extends Error {}

function commonIssues(options: CommonOptions, command: Command): PlanIssue[] {
  // The value after an unknown option (`--stpes 10,100`) is that option's, not another unknown argument.
  const unknown = command.args.filter((argument, i) => argument.startsWith("-") || !command.args[i - 1]?.startsWith("-"));
  const issues: PlanIssue[] = unknown.map((argument) => ({ field: argument, value: argument, problem: unknownOptionProblem(argument, command), fix: `see \`npm run rollout -- ${command.name()} --help\`` }));
  if (options.env !== undefined && !ENVIRONMENT_NAME.test(options.env)) {
    issues.push({ field: "--env", value: options.env, problem: "is not a plain name", fix: "use letters, digits, '-' or '_', e.g. --env staging" });
  }
  const target = targetOf(options);
  if (!targetNames().includes(target)) {
    issues.push({ field: "--target", value: target, problem: "is not a known target", fix: `use one of: ${targetNames().join(", ") || "(none registered)"}` });
  }
  if (options.stack !== undefined && options.target === "local") {
    issues.push({ field: "--stack", value: options.stack, problem: "applies to the aws target, not local", fix: "drop --stack for a local rollout, or drop --target local" });
  }
  return issues;
}

function targetOf(options: CommonOptions): string {
  return options.target ?? (options.stack !== undefined ? "aws" : "local");
}

function environmentOf(options: CommonOptions): string {
  return rolloutEnvironment(options.env, options.stack);
}

/** Which CLI option feeds which plan input; options left out keep the plan defaults. */
const PLAN_INPUT_OF_OPTION = {
  steps: "steps",
  bake: "bake",
  interval: "interval",
  failureLimit: "failureLimit",
  rolloutFailureLimit: "rolloutFailureLimit",
  consecutiveFailureLimit: "consecutiveFailureLimit",
  consecutiveErrorLimit: "consecutiveErrorLimit",
  maxBake: "maxBake",
  baseline: "baseline",
  probePaths: "probePaths",
  hook: "hooks",
  hookTimeout: "hookTimeout",
  verifyTimeout: "verifyTimeout",
} as const satisfies Partial<Record<keyof PlanOptions, keyof PlanInput>>;

const DRIFT_POLICIES: readonly DriftPolicy[] = ["rollback", "pause"];
/** Drift (or a router that cannot be read) rolls back unless asked otherwise: a split nobody planned is not safe to bake. */
const DEFAULT_DRIFT_POLICY: DriftPolicy = "rollback";

/** The plan from the CLI options: buildPlan's fields plus the drift policy, every problem at once. */
function planOf(options: PlanOptions): PlanResult {
  const result = buildPlan(planInputOf(options));
  const driftPolicy = options.onDrift ?? DEFAULT_DRIFT_POLICY;
  if (!DRIFT_POLICIES.includes(driftPolicy as DriftPolicy)) {
    const issue: PlanIssue = { field: "--on-drift", value: driftPolicy, problem: "is not a drift policy", fix: `use one of: ${DRIFT_POLICIES.join(", ")}` };
    return { ok: false, issues: [...(result.ok ? [] : result.issues), issue] };
  }
  return result.ok ? { ok: true, plan: { ...result.plan, driftPolicy: driftPolicy as DriftPolicy } } : result;
}

/** commander's attribute name of a flag: `--max-error-rate` -> `maxErrorRate`. */
function attributeOf(flag: string): string {
  return new Option(flag).attributeName();
}

function planInputOf(options: PlanOptions): PlanInput {
  const input: Record<string, unknown> = { nonInteractive: options.nonInteractive ?? false, manualGate: options.manualGate ?? false };
  for (const [option, field] of Object.entries(PLAN_INPUT_OF_OPTION)) {
    const value = options[option as keyof PlanOptions];
    if (value !== undefined) input[field] = value;
  }
  // Metric limits and analysis settings are declared once (rollout/engine/metrics.ts), flags included.
  const given = options as Readonly<Record<string, unknown>>;
  const settings = allSettings().flatMap((setting) => {
    const value = given[attributeOf(setting.flag)];
    return typeof value === "string" ? [[setting.flag, value] as const] : [];
  });
  if (settings.length > 0) input.settings = Object.fromEntries(settings);
  return input as PlanInput;
}

function describeHolder(holder: LockHolder, stale?: boolean): string {
  const since = new Date(holder.startedAt).toISOString();
  return `${holder.id} (${holder.user ? `${holder.user}@` : ""}${holder.host}, pid ${holder.pid}, since ${since}${holder.command ? `, \`${holder.command}\`` : ""})${stale ? " - STALE: that process is gone" : ""}`;
}

function newHolder(environment: string, command: string): LockHolder {
  const startedAt = Date.now();
  const stamp = new Date(startedAt).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return { id: `${environment}-${stamp}-${randomBytes(3).toString("hex")}`, host: os.hostname(), pid: process.pid, user: os.userInfo().username, startedAt, command };
}

function operatorName(): string {
  return `${os.userInfo().username}@${os.hostname()} (pid ${process.pid})`;
}

function lockRefusal(environment: string, lock: { heldBy: LockHolder; stale: boolean }): Refusal {
  const advice = lock.stale ? "add --take-over-stale to take it over (the process holding it is gone)" : "wait for it, or run `npm run rollout -- status` / `abort` from here";
  return new Refusal(`refused: a rollout of ${environment} is already running: ${describeHolder(lock.heldBy, lock.stale)}; ${advice}`);
}

function planLines(plan: RolloutPlan): string[] {
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
    `estimated duration: ${formatDuration(estimatedDurationMs(plan))} (${plan.steps.length} bakes of ${formatDuration(plan.bakeMs)}) plus deploys${plan.hooks.length > 0 ? " and hooks" : ""}${plan.manualGate ? " and manual approvals" : ""}`,
    `analysis every ${formatDuration(plan.intervalMs)}: ${limits}; probes ${plan.probePaths.join(", ") || "(none)"}`,
    `rates judged by ${Math.round(settingValue(plan.thresholds, "confidence") * 1000) / 10}% one-sided Wilson bounds over the rollout so far, failing only with >= ${settingValue(plan.thresholds, "minFailures")} failed requests; ${baseline}`,
    `a step ends on a passing analysis; still inconclusive it bakes up to ${formatDuration(plan.maxBakeMs)}, then -> ${plan.inconclusivePolicy}`,
    `failures tolerated: ${plan.failureLimit} per step, ${plan.rolloutFailureLimit} per rollout, ${plan.consecutiveFailureLimit} in a row; consecutive-error limit ${plan.consecutiveErrorLimit}; drift or unreadable router -> ${plan.driftPolicy ?? DEFAULT_DRIFT_POLICY}${plan.manualGate ? "; manual gate before each step" : ""}`,
    ...plan.hooks.map((hook) => `pre-traffic hook ${hook.name}: ${hook.command} (timeout ${formatDuration(hook.timeoutMs)})`),
  ];
}

const formatWeights = (weights: Weights): string => `stable ${weights.stable} / canary ${weights.canary}`;
const isStableOnly = (weights: Weights): boolean => weights.stable === 100 && weights.canary === 0;

/** Both weights when a change was in flight (or failed): the exposure is the larger canary share of the two. */
function weightLines(state: RolloutState): string[] {
  const intended = state.intendedWeights;
  if (!intended || (intended.stable === state.weights.stable && intended.canary === state.weights.canary)) return [`  weights ${formatWeights(state.weights)} (verified)`];
  return [
    `  weights: last verified ${formatWeights(state.weights)}, INTENDED ${formatWeights(intended)}`,
    `    a change was in flight or not verified: the router may show either (up to canary ${Math.max(intended.canary, state.weights.canary)}%); resume/abort read it before acting`,
  ];
}

function formatStatus(state: RolloutState, lock: LockInfo | undefined): string {
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

/** The CLI; returns the exit code instead of exiting so that tests can drive it in-process. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.refused;
  const print = (text: string) => void io.stdout.write(`${text}\n`);
  const warn = (text: string) => void io.stderr.write(`${text}\n`);

  const openTarget = async (options: CommonOptions, purpose: TargetOptions["purpose"], signal?: AbortSignal): Promise<Target> => {
    const name = targetOf(options);
    const factory = await loadTargetFactory(name);
    if (!factory) throw new Refusal(`unknown target ${name}`);
    return factory({ environment: environmentOf(options), ...(options.stack ? { stack: options.stack } : {}), cwd: io.cwd, purpose, log: warn, ...(signal ? { signal } : {}) });
  };

  const refuseOnIssues = (command: string, issues: readonly PlanIssue[]): boolean => {
    if (issues.length === 0) return false;
    warn(`rollout ${command}: ${issues.length} problem(s) in the input; nothing was changed:\n${formatIssues(issues)}`);
    exitCode = EXIT.refused;
    return true;
  };

  /** Runs the engine on `state` in this process, with signal handling, progress and reports. */
  const drive = async (target: Target, state: RolloutState, options: { json?: boolean; reportDir?: string; approved: boolean; retryFailedRollback?: string }): Promise<number> => {
    const controller = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      if (controller.signal.aborted) return warn(`${signal} again: still rolling back, please wait (traffic is being moved to stable and verified)`);
      warn(`${signal} received: rolling back (traffic to stable, verified by reading the router back)`);
      controller.abort(signal);
    };
    io.signals.on("SIGINT", onSignal);
    io.signals.on("SIGTERM", onSignal);
    const reporter: ClosableReporter = options.json ? lineReporter(io.stderr, state.plan) : io.interactive ? terminalReporter(io.stdout, state.plan) : lineReporter(io.stdout, state.plan);
    let final: RolloutState;
    try {
      final = await runRollout(
        { router: target.router, deployer: target.deployer, hooks: target.hooks, store: target.store, analysers: analysersFor(target, state.plan.thresholds, state.plan.probePaths, withPlanDefaults(state.plan).baseline), clock: target.clock ?? systemClock, reporter },
        state,
        { signal: controller.signal, pauseMode: io.interactive ? "wait" : "exit", approved: options.approved, ...(options.retryFailedRollback ? { retryFailedRollback: options.retryFailedRollback } : {}) },
      );
    } finally {
      reporter.close();
      io.signals.off("SIGINT", onSignal);
      io.signals.off("SIGTERM", onSignal);
    }
    const written = await writeReports(path.resolve(io.cwd, options.reportDir ?? path.join(".readiness", "reports", state.environment)), final);
    if (options.json) print(JSON.stringify({ ...written.report, files: written.files }, null, 2));
    else print(`\n${formatSummaryTable(written.report)}\nreports in ${path.relative(io.cwd, written.directory) || "."}/: ${Object.values(written.files).map((file) => path.basename(file)).join(", ")}`);
    if (final.phase === "rollback-failed") warn(`\n!!! ROLLBACK NOT VERIFIED for ${final.environment}: traffic may still reach the canary. See docs/runbook.md ("rollback-failed").\n!!! ${final.reason ?? ""}`);
    if (final.phase === "paused" || final.phase === "awaiting-approval") warn(`paused: ${final.reason ?? ""}\ncontinue with \`npm run rollout -- resume --env ${final.environment}\`, or \`promote\` / \`abort\``);
    return exitCodeFor(final.phase);
  };

  /**
   * Takes the environment's lock before anything else happens, then runs `body` with a target opened for
   * `purpose` (which may start local processes). The lock is taken through a target opened only to attach
   * (`status`): a process that does not get the lock has started, written and changed nothing.
   */
  const lockedTarget = async <T>(
    options: CommonOptions & { takeOverStale?: boolean },
    purpose: TargetOptions["purpose"],
    command: string,
    check: (stored: RolloutState | undefined) => T,
    body: (target: Target, holder: LockHolder, checked: T) => Promise<number>,
  ): Promise<number> => {
    const environment = environmentOf(options);
    return withTarget(options, "status", (attached) =>
      withLock(attached, environment, newHolder(environment, command), options.takeOverStale ?? false, async (holder) => {
        // Refusals that need only the state come before the target may start anything.
        const checked = check(await attached.store.load(environment));
        return withTarget(options, purpose, (target) => body(target, holder, checked));
      }),
    );
  };

  /** Acquires the lock and runs `body`; the lock is released whatever happens. */
  const withLock = async (target: Target, environment: string, holder: LockHolder, takeOverStale: boolean, body: (holder: LockHolder) => Promise<number>): Promise<number> => {
    const lock = await target.store.acquireLock(environment, holder, { takeOverStale });
    if (!lock.ok) throw lockRefusal(environment, lock);
    if (lock.tookOverFrom) warn(`took over the stale lock of ${describeHolder(lock.tookOverFrom)}`);
    try {
      return await body(lock.holder);
    } finally {
      await target.store.releaseLock(environment, lock.holder);
    }
  };

  const withTarget = async <T>(options: CommonOptions, purpose: TargetOptions["purpose"], body: (target: Target) => Promise<T>): Promise<T> => {
    const target = await openTarget(options, purpose);
    try {
      return await body(target);
    } finally {
      await target.close();
    }
  };

  const program = new Command("rollout")
    .description("Gradual canary rollouts with analysis and automatic rollback (docs/rollout.md)")
    .exitOverride()
    .configureOutput({ writeOut: (text) => void io.stdout.write(text), writeErr: (text) => void io.stderr.write(text) });

  const withCommon = (command: Command) =>
    command
      .option("--env <name>", "environment (default: the stack name, else local)")
      .option("--stack <stack>", "Pulumi stack: selects the aws target")
      .option("--target <name>", `target: ${targetNames().join(" | ") || "none registered"} (default: aws with --stack, else local)`)
      .option("--json", "machine-readable output on stdout (progress goes to stderr)")
      .allowUnknownOption()
      .allowExcessArguments();

  const withSettings = (command: Command) => {
    for (const setting of allSettings()) command.option(`${setting.flag} ${setting.argument}`, `${setting.help} (default ${Number((setting.default / setting.scale).toPrecision(12))})`);
    return command;
  };

  const withPlan = (command: Command) =>
    withSettings(withCommon(command))
      .option("--steps <list>", `canary weights in percent, increasing, ending at 100 (default ${DEFAULT_PLAN.steps.join(",")})`)
      .option("--bake <duration>", `bake time per step, e.g. 30s, 2m (default ${formatDuration(DEFAULT_PLAN.bakeMs)})`)
      .option("--interval <duration>", `analysis interval (default ${formatDuration(DEFAULT_PLAN.intervalMs)})`)
      .option("--failure-limit <n>", `failed analyses tolerated per step (default ${DEFAULT_PLAN.failureLimit})`)
      .option("--rollout-failure-limit <n>", "failed analyses tolerated over the whole rollout (default: --failure-limit)")
      .option("--consecutive-failure-limit <n>", "failed analyses tolerated in a row, across steps (default: --failure-limit)")
      .option("--consecutive-error-limit <n>", `analyses that could not be taken, tolerated in a row (default ${DEFAULT_PLAN.consecutiveErrorLimit})`)
      .option("--max-bake <duration>", "how long a step with inconclusive evidence keeps baking before it pauses (default 3 x --bake)")
      .option("--no-baseline", "do not compare the canary with stable (absolute limits only)")
      .option("--probe-paths <list>", `paths probed on the canary (default ${DEFAULT_PLAN.probePaths.join(",")})`)
      .addOption(new Option("--hook <name=command>", "pre-traffic hook (repeatable)").argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]))
      .option("--hook-timeout <duration>", "timeout of each hook (default 10m)")
      .option("--verify-timeout <duration>", `how long to read weights back before a shift counts as failed (default ${formatDuration(DEFAULT_PLAN.verifyTimeoutMs)})`)
      .option("--manual-gate", "wait for `resume` before each step")
      .option("--on-drift <policy>", `when the router shows other weights than the plan, or cannot be read: ${DRIFT_POLICIES.join(" | ")} (default ${DEFAULT_DRIFT_POLICY})`)
      .option("--non-interactive", "inconclusive analysis fails instead of pausing (CI)");

  withPlan(program.command("plan").description("print the steps and the estimated duration; changes nothing")).action(async (options: PlanOptions, command: Command) => {
    const result = planOf(options);
    if (refuseOnIssues("plan", [...commonIssues(options, command), ...(result.ok ? [] : result.issues)]) || !result.ok) return;
    if (options.json) print(JSON.stringify({ target: targetOf(options), environment: environmentOf(options), plan: result.plan, estimatedDurationMs: estimatedDurationMs(result.plan) }, null, 2));
    else print([`plan for ${environmentOf(options)} on the ${targetOf(options)} target:`, ...planLines(result.plan)].join("\n"));
    exitCode = 0;
  });

  withPlan(program.command("start").description("start a rollout of --image"))
    .option("--image <image>", "image (AWS: repo@sha256:digest; local: sample-app:<version>[?fault=value&...], docs/rollout-local.md)")
    .option("--report-dir <dir>", "where reports are written (default .readiness/reports/<env>)")
    .option("--take-over-stale", "take over a lock whose holder is gone")
    .action(async (options: StartOptions, command: Command) => {
      const result = planOf(options);
      const issues = [...commonIssues(options, command), ...(result.ok ? [] : result.issues)];
      if (options.image === undefined || options.image.trim() === "" || /\s/.test(options.image)) {
        issues.push({ field: "--image", value: options.image ?? "(missing)", problem: "is required and has no spaces", fix: "give the image to roll out, e.g. --image repo@sha256:<digest>" });
      } else {
        // Before the target starts anything (HAProxy, AWS clients) or a report is written: nothing changes.
        issues.push(...(await imageIssues(targetOf(options), options.image)));
      }
      if (refuseOnIssues("start", issues) || !result.ok) return;
      const environment = environmentOf(options);
      const image = options.image as string;
      const refuseUnfinished = (existing: RolloutState | undefined): RolloutState | undefined => {
        if (existing && !isTerminal(existing.phase)) {
          throw new Refusal(`refused: rollout ${existing.id} of ${existing.image} to ${environment} is ${existing.phase} (${existing.reason ?? "no process is running it"}); \`resume\` or \`abort\` it first`);
        }
        return existing;
      };
      exitCode = await lockedTarget(options, "start", `rollout start --image ${image}`, refuseUnfinished, async (target, holder, existing) => {
          await refuseUnlessStableOnly(target, environment, existing);
          const images = await target.deployer.images();
          // One line a terminal shows whole; `status` and the report have the target's details.
          warn(`rollout ${holder.id}: ${image} to ${environment} (${target.name}); stable runs ${images.stable ?? "(nothing)"}`);
          const state = newRolloutState({ id: holder.id, environment, target: target.name, image, ...(images.stable ? { stableImage: images.stable } : {}), plan: result.plan, holder, now: Date.now() });
          await target.store.save(state);
          return drive(target, state, { ...(options.json ? { json: true } : {}), ...(options.reportDir ? { reportDir: options.reportDir } : {}), approved: false });
        });
    });

  /** A new rollout starts only from stable 100 / canary 0 on the router: never inherit a split. */
  const refuseUnlessStableOnly = async (target: Target, environment: string, previous: RolloutState | undefined): Promise<void> => {
    let seen: Weights;
    try {
      seen = await target.router.readWeights();
    } catch (error) {
      throw new Refusal(`refused: the router of ${environment} cannot be read (${error instanceof Error ? error.message : String(error)}); a rollout starts only once it shows stable 100 / canary 0. Fix the router (${target.describe().split("\n")[0]}), then start again`);
    }
    if (isStableOnly(seen)) return;
    const fix =
      previous?.phase === "rollback-failed"
        ? `rollout ${previous.id} ended in rollback-failed; finish it with \`npm run rollout -- abort --env ${environment}\` (moves traffic to stable and verifies it), then start again`
        : `move all traffic to stable on the router (${target.describe().split("\n")[0]}), check with \`npm run rollout -- status --env ${environment}\`, then start again`;
    throw new Refusal(`refused: the router of ${environment} shows ${formatWeights(seen)}, not stable 100 / canary 0: a new canary would inherit that traffic. Fix: ${fix}`);
  };

  withCommon(program.command("status").description("show the rollout of an environment (from any shell)")).action(async (options: CommonOptions, command: Command) => {
    if (refuseOnIssues("status", commonIssues(options, command))) return;
    const environment = environmentOf(options);
    exitCode = await withTarget(options, "status", async (target) => {
      const [state, lock] = await Promise.all([target.store.load(environment), target.store.readLock(environment)]);
      if (!state) {
        if (options.json) print(JSON.stringify({ environment, state: null, lock: lock ?? null }));
        else print(`no rollout recorded for ${environment} in ${target.store.describe()}`);
        return EXIT.refused;
      }
      print(options.json ? JSON.stringify({ environment, state, lock: lock ?? null }, null, 2) : formatStatus(state, lock));
      return 0;
    });
  });

  const operatorCommand = (kind: OperatorRequestKind, description: string) =>
    withCommon(program.command(kind).description(description))
      .option("--reason <text>", "why (recorded in the state and the report)")
      .option("--report-dir <dir>", "where reports are written when this process finishes the rollout")
      .option("--take-over-stale", "take over a lock whose holder is gone")
      .option("--non-interactive", "inconclusive analysis fails instead of pausing (resume in CI)")
      .action(async (options: OperatorOptions, command: Command) => {
        if (refuseOnIssues(kind, commonIssues(options, command))) return;
        exitCode = await operate(kind, options);
      });

  /** Phases in which a live rollout process reads requests (within a second); in the others it does not. */
  const READS_REQUESTS: readonly RolloutState["phase"][] = ["shifting", "baking", "analysing", "paused", "awaiting-approval"];
  /** Before traffic moves, a deploy or hook can take minutes without reading requests: a signal stops it now. */
  const BEFORE_TRAFFIC: readonly RolloutState["phase"][] = ["planned", "deploying", "pre-traffic-hooks"];

  const operate = async (kind: OperatorRequestKind, options: OperatorOptions): Promise<number> => {
    const environment = environmentOf(options);
    const base = { id: randomUUID(), kind, at: Date.now(), by: operatorName(), ...(options.reason ? { reason: options.reason } : {}) };
    const attached = await withTarget(options, "request", async (target) => {
      const [state, lock] = await Promise.all([target.store.load(environment), target.store.readLock(environment)]);
      if (!state) throw new Refusal(`refused: no rollout in progress for ${environment}`);
      const failedRollback = state.phase === "rollback-failed" && kind === "abort";
      if (isTerminal(state.phase) && !failedRollback) throw new Refusal(`refused: no rollout in progress for ${environment} (last: ${state.id}, ${state.phase}); nothing to ${kind}`);
      if (lock?.stale && !options.takeOverStale) throw lockRefusal(environment, { heldBy: lock.holder, stale: true });
      if (!lock || lock.stale) return undefined;
      if (lock.holder.id !== state.id && !failedRollback) return { refused: `refused: rollout ${state.id} is ${state.phase} but the lock is held by ${describeHolder(lock.holder)}; retry when it is released` };
      if (BEFORE_TRAFFIC.includes(state.phase)) {
        const how = lock.holder.host === os.hostname() ? `\`kill -TERM ${lock.holder.pid}\`` : `SIGTERM to pid ${lock.holder.pid} on ${lock.holder.host} (or cancel that CI job)`;
        return { refused: `refused: rollout ${state.id} is ${state.phase} in ${describeHolder(lock.holder)}: no traffic has moved, and requests are read from the first step on. To stop it now, send ${how}: it rolls back, verified. Or retry the ${kind} once \`status\` shows a step` };
      }
      if (!READS_REQUESTS.includes(state.phase) || failedRollback) {
        return { refused: `refused: rollout ${state.id} is ${state.phase} in ${describeHolder(lock.holder)} and can no longer act on ${kind}; follow it with \`npm run rollout -- status --env ${environment}\`` };
      }
      if (kind === "resume" && state.phase !== "paused" && state.phase !== "awaiting-approval") {
        return { refused: `refused: rollout ${state.id} is ${state.phase} and running in ${describeHolder(lock.holder)}; nothing to resume` };
      }
      // A live process runs the rollout: hand it the request and wait for its answer in the state.
      const request: OperatorRequest = { ...base, rolloutId: state.id };
      await target.store.request(environment, request);
      return { answer: await awaitAnswer(target, environment, request, lock.holder) };
    });
    if (attached !== undefined) {
      if ("refused" in attached) throw new Refusal(attached.refused);
      return attached.answer;
    }
    // Nobody runs the rollout (paused and exited, killed, or its rollback failed): this process finishes it.
    const refuseUnless = (stored: RolloutState | undefined): RolloutState => {
      const failedRollback = stored?.phase === "rollback-failed" && kind === "abort";
      if (!stored || (isTerminal(stored.phase) && !failedRollback)) throw new Refusal(`refused: no rollout in progress for ${environment}`);
      if (kind === "promote" && stored.phase === "rolling-back") throw new Refusal(`refused: rollout ${stored.id} is rolling-back; it can only be finished with \`abort\` or \`resume\``);
      return stored;
    };
    return lockedTarget(options, "resume", `rollout ${kind}`, refuseUnless, async (target, holder, stored) => {
      const failedRollback = stored.phase === "rollback-failed" && kind === "abort";
      // A rollback in progress needs no request: continuing it is the abort.
      if (kind !== "resume" && stored.phase !== "rolling-back" && !failedRollback) await target.store.request(environment, { ...base, rolloutId: stored.id });
      const plan = options.nonInteractive ? { ...stored.plan, inconclusivePolicy: "fail" as const } : stored.plan;
      const state: RolloutState = { ...stored, plan, holder };
      await target.store.save(state);
      warn(`${kind}: continuing rollout ${state.id} (${state.phase}) in this process`);
      return drive(target, state, {
        ...(options.json ? { json: true } : {}),
        ...(options.reportDir ? { reportDir: options.reportDir } : {}),
        approved: true,
        ...(failedRollback ? { retryFailedRollback: `abort by ${base.by}: finishing the rollback that could not be verified${options.reason ? ` (${options.reason})` : ""}` } : {}),
      });
    });
  };

  /**
   * Waits for the running rollout to answer `request` in its state. Unanswered after ANSWER_TIMEOUT_MS, the
   * request is withdrawn, so that it can never act later (or on another rollout); a request the rollout took
   * meanwhile gets a little longer for its answer to be saved.
   */
  const awaitAnswer = async (target: Target, environment: string, request: OperatorRequest, holder: LockHolder): Promise<number> => {
    const deadline = Date.now() + ANSWER_TIMEOUT_MS;
    let withdrawTried = false;
    for (;;) {
      const state = await target.store.load(environment);
      const answer: RequestRecord | undefined = state?.id === request.rolloutId ? state.requestLog?.find((record) => record.id === request.id) : undefined;
      if (answer?.outcome === "acted") {
        print(`${request.kind} acknowledged by rollout ${request.rolloutId} (${describeHolder(holder)}): ${answer.note}. Follow with \`npm run rollout -- status --env ${environment}\`.`);
        return 0;
      }
      if (answer) throw new Refusal(`refused by rollout ${request.rolloutId}: ${request.kind} ${answer.note}`);
      if (Date.now() >= deadline) {
        if (!withdrawTried && (await target.store.withdrawRequest(environment, request.id))) {
          warn(`rollout ${request.rolloutId} did not answer the ${request.kind} within ${ANSWER_TIMEOUT_MS / 1000} s (is ${describeHolder(holder)} hung?); the request was withdrawn and will never act. Check \`npm run rollout -- status --env ${environment}\`; if that process is gone, repeat with --take-over-stale.`);
          return EXIT.paused;
        }
        withdrawTried = true;
        if (Date.now() >= deadline + ANSWER_TIMEOUT_MS) throw new Error(`rollout ${request.rolloutId} took the ${request.kind} but did not record an answer; check \`npm run rollout -- status --env ${environment}\``);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  operatorCommand("abort", "roll the running (or paused, or orphaned) rollout back");
  operatorCommand("promote", "skip the remaining steps and promote the canary");
  operatorCommand("resume", "continue a paused rollout, approve a manual gate, or finish one whose process died");

  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version are not errors; everything else commander rejects is bad input.
      return usageExitCode(program, error, (text) => void io.stderr.write(text));
    }
    if (error instanceof Refusal || error instanceof UsageError) {
      warn(error.message);
      return EXIT.refused;
    }
    if (error instanceof StoreDamageError) {
      warn(`refused: ${error.message}`);
      return EXIT.refused;
    }
    throw error;
  }
}

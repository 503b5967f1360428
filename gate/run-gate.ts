import path from "node:path";
import { declaredEnvironment } from "../config/stack-identity.ts";
import { readinessRules } from "../policies/rules/catalog.ts";
import type { ReadinessRule } from "../policies/core/rule.ts";
import { configHint, configKeyFinder } from "./config-sources.ts";
import { judgeStack, type GateReport } from "./judge-stack.ts";
import { inputProblemReport, type ConfigProblem } from "./input-problems.ts";
import { loadPackConfig, PACK_CONFIG_DIR } from "./pack-config.ts";
import type { PackConfig } from "./policy-harness.ts";
import { previewOfNewStack } from "./preview.ts";
import { ProgramError, runProgramInProcess, type HostRequest } from "./program-process.ts";
import type { ProgramRun, RegisteredResource } from "./program-runner.ts";
import { readProjectFile, readStackConfig, withProjectConfig, type ProjectFile, type StackConfig } from "./stack-config.ts";

export interface GateOptions {
  readonly stack: string;
  /** The Pulumi program's directory (with Pulumi.yaml and Pulumi.<stack>.yaml). */
  readonly dir: string;
  /** Which `policies/config/<environment>.json` applies; by default the stack's own (its `environment` config, else its name). */
  readonly environment?: string;
  readonly rules?: readonly ReadinessRule[];
  readonly packConfigDir?: string;
  readonly now?: Date;
  /**
   * Judge what the engine sees in the first preview of a new stack: provider-computed outputs (ids, ARNs,
   * generated names) and inputs computed from them are unknown (gate/preview.ts). Off by default: the gate then
   * judges every value, as `pulumi up` and later previews do.
   */
  readonly previewNewStack?: boolean;
}

/** The program or its config could not be loaded: the gate has nothing to judge (exit 2). */
export class GateLoadError extends Error {
  override readonly name = "GateLoadError";
  /** A report of the problems (config keys at their lines), so that `--out` is written in this outcome too. */
  report?: GateReport;
}

/** What the gate judges: the program's resources under mocks, with the pack config of its environment. */
export interface GateInput {
  readonly project: string;
  readonly stack: string;
  readonly environment: string;
  readonly dir: string;
  readonly entry: string;
  readonly stackFilePath: string;
  /** The stack's config over the project's defaults: where a remediation finds the program's own keys. */
  readonly config: StackConfig;
  readonly rules: readonly ReadinessRule[];
  readonly packConfig: PackConfig;
  readonly resources: readonly RegisteredResource[];
  /** Functions (invokes) the gate could not answer offline; their results were unknown. */
  readonly unansweredCalls: readonly string[];
}

/**
 * Loads the stack files and the pack config, then runs the program (its own process, under mocks); throws
 * GateLoadError, carrying a report of the problems, when it cannot.
 */
export async function loadGateInput(options: GateOptions): Promise<GateInput> {
  const dir = path.resolve(options.dir);
  const stackFilePath = path.join(dir, `Pulumi.${options.stack}.yaml`);
  const stackFiles = await settle(readProgramFiles(dir, options.stack));
  const environment = gateEnvironment(options, stackFiles.status === "fulfilled" ? stackFiles.value : undefined);
  try {
    return await readGateInput(options, stackFiles, environment, dir, stackFilePath);
  } catch (err) {
    if (!(err instanceof GateLoadError)) throw err;
    const project = await readProjectFile(dir).catch(() => undefined);
    err.report = inputProblemReport(err.message, configProblemsOf(err.cause), {
      project: project?.name ?? path.basename(dir), stack: options.stack, environment,
      programFile: fromCwd(project?.entry ?? path.join(dir, "index.ts")),
      stackFile: fromCwd(stackFilePath), stackFilePath,
    });
    throw err;
  }
}

/**
 * Whose pack config applies: `--environment`, else the environment the stack declares, resolved as the program
 * resolves it (config/stack-identity.ts). When the stack files cannot be read, the stack's name stands in.
 */
function gateEnvironment(options: GateOptions, files: ProgramFiles | undefined): string {
  const configured = files?.config.config[`${files.project.name}:environment`];
  return options.environment ?? declaredEnvironment(options.stack, configured);
}

type ProgramFiles = { project: ProjectFile; config: StackConfig };

function settle<T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  return promise.then((value) => ({ status: "fulfilled", value }), (reason: unknown) => ({ status: "rejected", reason }));
}

async function readGateInput(
  options: GateOptions, stackFiles: PromiseSettledResult<ProgramFiles>, environment: string, dir: string, stackFilePath: string,
): Promise<GateInput> {
  const rules = options.rules ?? readinessRules;
  // The stack files and the pack config are independent: report what is wrong with both at once.
  const packConfigResult = await settle(loadPackConfig(environment, rules, options.packConfigDir ?? PACK_CONFIG_DIR));
  const failures = [stackFiles, packConfigResult].filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (stackFiles.status === "rejected" || packConfigResult.status === "rejected") {
    throw new GateLoadError(failures.map((f) => describe(f.reason)).join("\n"), { cause: failures[0].reason });
  }
  const { project, config } = stackFiles.value;
  const run = await runProgram(dir, options.stack, project, config);
  return {
    project: project.name, stack: options.stack, environment, dir, entry: project.entry, stackFilePath, config,
    rules, packConfig: packConfigResult.value,
    resources: options.previewNewStack ? previewOfNewStack(run.resources) : run.resources, unansweredCalls: run.unansweredCalls,
  };
}

/** Runs the program with its stack config (its own process) and judges every resource; throws GateLoadError when it cannot. */
export async function runGate(options: GateOptions): Promise<GateReport> {
  const input = await loadGateInput(options);
  const configKeysBehind = configKeyFinder(input.config, input.project);
  const sites = new Map(input.resources.map((r) => [`${r.type}::${r.name}`, r.source]));
  const report = await judgeStack(input.resources, {
    project: input.project, stack: input.stack, environment: input.environment,
    programFile: fromCwd(input.entry),
    stackFile: fromCwd(input.stackFilePath),
    rules: input.rules, packConfig: input.packConfig, now: options.now,
    configHint: (message, resource) => configHint(configKeysBehind(message, resource.inputs), input.stack),
    locate: (resource) => {
      const site = sites.get(`${resource.type}::${resource.name}`);
      return site && { file: fromCwd(site.file), line: site.line };
    },
  });
  return input.unansweredCalls.length > 0 ? { ...report, unknownFunctions: input.unansweredCalls } : report;
}

/** The project file and the stack's config over the project's defaults. */
async function readProgramFiles(dir: string, stack: string): Promise<ProgramFiles> {
  const project = await readProjectFile(dir);
  return { project, config: withProjectConfig(project, stack, await readStackConfig(dir, stack, project.name)) };
}

function programRequest(dir: string, stack: string, project: ProjectFile, config: StackConfig): HostRequest {
  return {
    project: project.name, stack, organization: ORGANIZATION, region: config.config["aws:region"] ?? "us-east-1",
    config, entry: project.entry, kind: project.kind, root: dir,
  };
}

/**
 * Runs the program in `dir` for one stack as the gate does (its own process, as a preview) and returns what it
 * registered, unjudged; throws GateLoadError when the files or the program are broken.
 */
export async function runProgramOf(dir: string, stack: string): Promise<ProgramRun> {
  const root = path.resolve(dir);
  const { project, config } = await load(() => readProgramFiles(root, stack));
  return runProgram(root, stack, project, config);
}

/** Runs the program for one stack in its own process; a failure names the program's file and line (GateLoadError). */
function runProgram(dir: string, stack: string, project: ProjectFile, config: StackConfig): Promise<ProgramRun> {
  return load(() => runProgramInProcess(programRequest(dir, stack, project, config)), (err) => programFailure(err, dir, project.entry, stack));
}

/** The organization a program sees (`pulumi.getOrganization()`), as with the CLI's local backend. */
const ORGANIZATION = "organization";

/** Names the file and line in the program (relative to where the gate runs), then the cause. */
function programFailure(err: unknown, dir: string, entry: string, stack: string): string {
  const where = err instanceof ProgramError && err.failure.location
    ? fromCwd(path.join(dir, err.failure.location)) : fromCwd(entry) || toPosix(entry);
  const cause = describe(err instanceof ProgramError ? err.failure : err);
  return `the program failed for stack ${stack} at ${where}: ${cause}`;
}

async function load<T>(step: () => Promise<T>, explain: (err: unknown) => string = describe): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw new GateLoadError(explain(err), { cause: err });
  }
}

/** The config problems a program's ConfigError lists (none for other failures); from the program's process, its failure. */
function configProblemsOf(err: unknown): ConfigProblem[] {
  const e = (err instanceof ProgramError ? err.failure : err) as { name?: string; issues?: unknown[] };
  return e?.name === "ConfigError" && Array.isArray(e.issues) ? (e.issues as ConfigProblem[]) : [];
}

/** A ConfigError lists every config problem; its class may come from another module instance, so match by shape. */
function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; issues?: unknown[] };
  if (e?.name === "ConfigError" && Array.isArray(e.issues)) return `invalid stack config\n${e.message}`;
  return e?.message ?? String(err);
}

function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}

/** A path as reports show it: relative to where the gate runs, with forward slashes. */
function fromCwd(p: string): string {
  return toPosix(path.relative(process.cwd(), p));
}

import path from "node:path";
import { readinessRules } from "../policies/rules/catalog.ts";
import type { ReadinessRule } from "../policies/rules/rule.ts";
import { evaluateStack, type GateReport } from "./evaluate.ts";
import { awsMocks } from "./mocks.ts";
import { loadPackConfig, PACK_CONFIG_DIR } from "./pack-config.ts";
import type { PackConfig } from "./policy-harness.ts";
import { previewOfNewStack } from "./preview.ts";
import { runProgramUnderMocks, type RegisteredResource } from "./program-runner.ts";
import { readProjectFile, readStackConfig } from "./stack-config.ts";

export interface GateOptions {
  readonly stack: string;
  /** The Pulumi program's directory (with Pulumi.yaml and Pulumi.<stack>.yaml). */
  readonly dir: string;
  /** Which `policies/config/<environment>.json` applies; the stack name by default. */
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
}

/** What the gate judges: the program's resources under mocks, with the pack config of its environment. */
export interface GateInput {
  readonly project: string;
  readonly stack: string;
  readonly environment: string;
  readonly dir: string;
  readonly entry: string;
  readonly rules: readonly ReadinessRule[];
  readonly packConfig: PackConfig;
  readonly resources: readonly RegisteredResource[];
}

/** Loads the stack files and the pack config, then runs the program under mocks; throws GateLoadError when it cannot. */
export async function loadGateInput(options: GateOptions): Promise<GateInput> {
  const rules = options.rules ?? readinessRules;
  const environment = options.environment ?? options.stack;
  const dir = path.resolve(options.dir);
  // The stack files and the pack config are independent: report what is wrong with both at once.
  const [stackFiles, packConfigResult] = await Promise.allSettled([
    readProjectFile(dir).then(async (project) => ({ project, config: await readStackConfig(dir, options.stack, project.name) })),
    loadPackConfig(environment, rules, options.packConfigDir ?? PACK_CONFIG_DIR),
  ]);
  const failures = [stackFiles, packConfigResult].filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (stackFiles.status === "rejected" || packConfigResult.status === "rejected") {
    throw new GateLoadError(failures.map((f) => describe(f.reason)).join("\n"), { cause: failures[0].reason });
  }
  const { project, config } = stackFiles.value;
  const region = config.config["aws:region"] ?? "us-east-1";
  const run = await load(() => runProgramUnderMocks({ project: project.name, stack: options.stack, config, mocks: awsMocks(region), program: project.entry }),
    (err) => `the program ${path.relative(process.cwd(), project.entry) || project.entry} failed for stack ${options.stack}: ${describe(err)}`);
  return { project: project.name, stack: options.stack, environment, dir, entry: project.entry, rules, packConfig: packConfigResult.value,
    resources: options.previewNewStack ? previewOfNewStack(run.resources) : run.resources };
}

/** Runs the program under mocks with its stack config and judges every resource; throws GateLoadError when it cannot. */
export async function runGate(options: GateOptions): Promise<GateReport> {
  const input = await loadGateInput(options);
  return evaluateStack(input.resources, {
    project: input.project, stack: input.stack, environment: input.environment,
    programFile: toPosix(path.relative(process.cwd(), input.entry)),
    stackFile: toPosix(path.relative(process.cwd(), path.join(input.dir, `Pulumi.${input.stack}.yaml`))),
    rules: input.rules, packConfig: input.packConfig, now: options.now,
  });
}

async function load<T>(step: () => Promise<T>, explain: (err: unknown) => string = describe): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw new GateLoadError(explain(err), { cause: err });
  }
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

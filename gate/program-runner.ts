import { pathToFileURL } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings.js";
import { captureCallSites } from "./call-site.ts";
import { unwrapSecrets } from "./secret-values.ts";
import type { StackConfig } from "./stack-config.ts";

/** One resource the program registered, as a policy (or a reviewer) needs to see it. */
export interface RegisteredResource {
  readonly urn: string;
  /** Type token, e.g. `aws:lb/loadBalancer:LoadBalancer`. */
  readonly type: string;
  readonly name: string;
  /** False for component resources. */
  readonly custom: boolean;
  /** Inputs with secrets unwrapped; `secretPaths` says which were secret. */
  readonly inputs: Record<string, unknown>;
  /** Dotted paths into `inputs` whose value was a Pulumi secret. */
  readonly secretPaths: readonly string[];
  /** Outputs the mocks gave the resource (id, arn, ...). */
  readonly state: Record<string, unknown>;
  readonly parent?: string;
  readonly dependencies: readonly string[];
  readonly provider?: string;
}

export interface ProgramRun {
  readonly project: string;
  readonly stack: string;
  readonly resources: readonly RegisteredResource[];
  /** The stack outputs (secrets unwrapped). */
  readonly outputs: Record<string, unknown>;
}

export interface RunProgramOptions {
  readonly project: string;
  readonly stack: string;
  readonly config: StackConfig;
  readonly mocks: pulumi.runtime.Mocks;
  /** The program: a module path (its exports become stack outputs) or a function returning outputs. */
  readonly program: string | (() => Promise<Record<string, unknown> | void>);
}

let runCount = 0;

/**
 * Runs a Pulumi program under `pulumi.runtime.setMocks` and returns every resource it registered.
 *
 * Runs are sequential within a process: the Pulumi runtime keeps its monitor and config in globals.
 * A module program is imported with a fresh URL each time, so one process can run several stacks.
 */
export async function runProgramUnderMocks(options: RunProgramOptions): Promise<ProgramRun> {
  const records = new Map<string, { parent?: string; dependencies: string[]; provider?: string }>();
  const resources: RegisteredResource[] = [];
  const failures: Error[] = [];
  const mocks: pulumi.runtime.Mocks = {
    call: (args) => options.mocks.call(args),
    newResource: async (args) => {
      const result = await options.mocks.newResource(args);
      const { value, secretPaths } = unwrapSecrets(args.inputs ?? {});
      const state = unwrapSecrets(result.state ?? {}).value as Record<string, unknown>;
      resources.push({
        urn: "", type: args.type, name: args.name, custom: args.custom ?? true,
        inputs: value as Record<string, unknown>, secretPaths, state, dependencies: [],
      });
      return result;
    },
  };
  // setMocks/setAllConfig validate nothing themselves; this is the program's first contact with config.
  await pulumi.runtime.setMocks(mocks, options.project, options.stack, false);
  pulumi.runtime.setAllConfig(options.config.config, options.config.secretKeys);
  recordRegistrations(records);

  const outputs = await pulumi.runtime.runInPulumiStack(async () => {
    captureCallSites();
    try {
      if (typeof options.program === "function") return (await options.program()) ?? {};
      const url = `${pathToFileURL(options.program).href}?readiness-run=${++runCount}`;
      const mod = (await import(url)) as Record<string, unknown>;
      return typeof mod.default === "function" ? await (mod.default as () => unknown)() : { ...mod };
    } catch (err) {
      failures.push(err as Error);
      return {};
    }
  });
  await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  if (failures.length > 0) throw failures[0];

  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorInternals;
  const byKey = new Map<string, string>();
  for (const [urn] of monitor.getRegisteredResources()) byKey.set(urnKey(urn), urn);
  const withUrns = resources.map((r) => {
    const urn = findUrn(byKey, r.type, r.name) ?? "";
    const rec = records.get(urn);
    return { ...r, urn, parent: rec?.parent, dependencies: rec?.dependencies ?? [], provider: rec?.provider };
  });
  return {
    project: options.project,
    stack: options.stack,
    resources: withUrns,
    outputs: unwrapSecrets(outputs ?? {}).value as Record<string, unknown>,
  };
}

interface MockMonitorInternals {
  registerResource(req: RegisterRequest, callback: (err: unknown, resp: unknown) => void): Promise<void>;
  newUrn(parent: string, type: string, name: string): string;
  getRegisteredResources(): Map<string, unknown>;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getDependenciesList(): string[];
}

/** The mocks API hides parents and dependencies; the monitor's requests carry them. */
function recordRegistrations(records: Map<string, { parent?: string; dependencies: string[]; provider?: string }>): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorInternals;
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const urn = monitor.newUrn(req.getParent(), req.getType(), req.getName());
    records.set(urn, {
      parent: req.getParent() || undefined,
      dependencies: req.getDependenciesList(),
      provider: req.getProvider() || undefined,
    });
    return original(req, callback);
  };
}

function urnKey(urn: string): string {
  const [, , qualifiedType, name] = urn.split("::");
  return `${qualifiedType.split("$").pop()}::${name}`;
}

function findUrn(byKey: Map<string, string>, type: string, name: string): string | undefined {
  return byKey.get(`${type}::${name}`);
}


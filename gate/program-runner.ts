import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type * as pulumiModule from "@pulumi/pulumi";
import { captureCallSites, withCallSites, type SourceLocation } from "./call-site.ts";
import { UNKNOWN_CALL_RESULT } from "./mocks.ts";
import type { ModuleKind } from "./program-entry.ts";
import { specialResourceSig, specialSigKey, unknownValue, unwrapSecrets } from "./secret-values.ts";
import type { StackConfig } from "./stack-config.ts";

/** One resource the program registered, as a policy (or a reviewer) needs to see it. */
export interface RegisteredResource {
  readonly urn: string;
  /** Type token, e.g. `aws:lb/loadBalancer:LoadBalancer`. */
  readonly type: string;
  readonly name: string;
  /** False for component resources. */
  readonly custom: boolean;
  /**
   * Inputs as the engine hands them to a policy pack: secrets unwrapped (`secretPaths` says which were
   * secret), a resource passed as an input replaced by its id (a component by its URN), and a value not
   * known until the update as the engine's unknown sentinel.
   */
  readonly inputs: Record<string, unknown>;
  /** Dotted paths into `inputs` whose value was a Pulumi secret. */
  readonly secretPaths: readonly string[];
  /** Outputs the mocks gave the resource (id, arn, ...). */
  readonly state: Record<string, unknown>;
  readonly parent?: string;
  readonly dependencies: readonly string[];
  readonly provider?: string;
  /** The program's line that constructs the resource (call-site.ts), when it was seen. */
  readonly source?: SourceLocation;
}

export interface ProgramRun {
  readonly project: string;
  readonly stack: string;
  readonly resources: readonly RegisteredResource[];
  /** The stack outputs (secrets unwrapped). */
  readonly outputs: Record<string, unknown>;
  /** Provider functions the program called whose result the gate could not know offline (left unknown). */
  readonly unansweredCalls: readonly string[];
}

/** The Pulumi SDK a program uses: the mocks must be set on that very module instance. */
export interface PulumiSdk {
  readonly pulumi: typeof pulumiModule;
  readonly settings: { waitForRPCs(): Promise<void> };
  readonly rpc: {
    deserializeProperties(struct: unknown): Record<string, unknown>;
    serializeProperties(label: string, props: Record<string, unknown>): Promise<Record<string, unknown>>;
  };
  readonly proto: { ResourceInvokeResponse: new () => InvokeResponse };
}

export interface RunProgramOptions {
  readonly project: string;
  readonly stack: string;
  readonly config: StackConfig;
  readonly mocks: pulumiModule.runtime.Mocks;
  /** The program: a module path (its exports become stack outputs) or a function returning outputs. */
  readonly program: string | (() => Promise<Record<string, unknown> | void>);
  /** How to load a module program (as the language host would); from the file name and nearest package.json when absent. */
  readonly kind?: ModuleKind;
  /** Run as `pulumi preview` does (`isDryRun()` true, outputs the provider does not report stay unknown). */
  readonly preview?: boolean;
  readonly organization?: string;
  /** The program has this process to itself (program-host.ts): run its `beforeExit` handlers as its exit would. */
  readonly ownProcess?: boolean;
  /** The SDK instance the program resolves; the gate's own by default. */
  readonly sdk?: PulumiSdk;
}

/** The SDK as a program in `dir` would resolve it (its own node_modules first). */
export function loadSdk(dir = path.dirname(fileURLToPath(import.meta.url))): PulumiSdk {
  const load = createRequire(path.join(dir, "package.json"));
  return {
    pulumi: load("@pulumi/pulumi") as typeof pulumiModule,
    settings: load("@pulumi/pulumi/runtime/settings.js") as PulumiSdk["settings"],
    rpc: load("@pulumi/pulumi/runtime/rpc.js") as PulumiSdk["rpc"],
    proto: load("@pulumi/pulumi/proto/resource_pb.js") as PulumiSdk["proto"],
  };
}

let runCount = 0;

/**
 * Runs a Pulumi program under `pulumi.runtime.setMocks` and returns every resource it registered.
 *
 * Runs are sequential within a process: the Pulumi runtime keeps its monitor and config in globals.
 * An ES module program is imported with a fresh URL each time, so one process can run several stacks;
 * a CommonJS program is required once (the gate runs each program in its own process, program-host.ts).
 */
export async function runProgramUnderMocks(options: RunProgramOptions): Promise<ProgramRun> {
  const sdk = options.sdk ?? loadSdk();
  const { pulumi } = sdk;
  const failures: unknown[] = [];
  const unanswered = new Set<string>();
  // setMocks/setAllConfig validate nothing themselves; this is the program's first contact with config.
  await pulumi.runtime.setMocks(options.mocks, options.project, options.stack, options.preview ?? false, options.organization);
  pulumi.runtime.setAllConfig(options.config.config, options.config.secretKeys);
  const resources = recordRegistrations(sdk);
  answerInvokes(sdk, options.mocks, unanswered);

  // A failed registration (an error thrown inside an apply, say) surfaces only as an unhandled rejection.
  const onRejection = (err: unknown) => failures.push(err);
  process.on("unhandledRejection", onRejection);
  const outputs = await pulumi.runtime.runInPulumiStack(async () => {
    captureCallSites(pulumi);
    try {
      if (typeof options.program === "function") return (await options.program()) ?? {};
      return await loadProgram(options.program, options.kind ?? kindOf(options.program));
    } catch (err) {
      failures.push(err);
      return {};
    }
  }).catch((err: unknown) => {
    failures.push(err);
    return {};
  });
  await settle(sdk, failures);
  // The language host lets the process run until its event loop is empty, so `beforeExit` handlers still
  // register resources (@pulumi/aws creates a bucket's BucketNotification there). The gate's own process
  // must not wait for an empty loop; it emits the event itself until nothing more is registered.
  for (let count = -1; options.ownProcess && count !== resources.length;) {
    count = resources.length;
    process.emit("beforeExit", 0);
    await settle(sdk, failures);
  }
  process.off("unhandledRejection", onRejection);
  if (failures.length > 0) throw failures[0];
  return {
    project: options.project,
    stack: options.stack,
    resources: withCallSites(resources),
    outputs: unwrapSecrets(outputs ?? {}).value as Record<string, unknown>,
    unansweredCalls: [...unanswered].sort(),
  };
}

/** Waits for every pending registration, then for Node to report the unhandled rejections of failed ones. */
async function settle(sdk: PulumiSdk, failures: unknown[]): Promise<void> {
  await sdk.settings.waitForRPCs().catch((err: unknown) => failures.push(err));
  // Node reports unhandled rejections once the microtasks of a turn have run: let two turns pass.
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Loads a program module the way the Node.js language host does (@pulumi/pulumi cmd/run/run.js): `require`
 * for CommonJS, `import()` for an ES module (whose default export, if any, must be its only export); an
 * exported function is called and its result awaited.
 */
export async function loadProgram(file: string, kind: ModuleKind): Promise<Record<string, unknown>> {
  let exported: unknown;
  if (kind === "module") {
    const namespace = (await import(`${pathToFileURL(file).href}?readiness-run=${++runCount}`)) as Record<string, unknown>;
    if (Object.getOwnPropertyDescriptor(namespace, "default") !== undefined && Object.keys(namespace).length !== 1) {
      throw new Error(`${file}: expected the entry module to have either a default export or named exports but not both`);
    }
    exported = "default" in namespace ? namespace.default : { ...namespace };
  } else {
    exported = createRequire(file)(file);
  }
  const result = typeof exported === "function" ? await (exported as () => unknown)() : await exported;
  return (result ?? {}) as Record<string, unknown>;
}

function kindOf(file: string): ModuleKind {
  return /\.c[jt]s$/.test(file) ? "commonjs" : "module";
}

interface Struct {
  toJavaScript(): Record<string, unknown>;
  constructor: { fromJavaScript(value: Record<string, unknown>): Struct };
}

interface InvokeResponse {
  setReturn(value: Struct): void;
  setUnknown(value: boolean): void;
}

interface MockMonitorInternals {
  registerResource(req: RegisterRequest, callback: (err: unknown, resp?: RegisterResponse) => void): Promise<void>;
  invoke(req: InvokeRequest, callback: (err: unknown, resp?: InvokeResponse) => void): Promise<void>;
  newUrn(parent: string, type: string, name: string): string;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getObject(): Struct | undefined;
  setObject(value: Struct): void;
}

interface RegisterResponse {
  getObject(): Struct | undefined;
}

interface InvokeRequest {
  getTok(): string;
  getProvider(): string;
  getArgs(): Struct | undefined;
  setArgs(value: Struct): void;
}

/**
 * A resource reference on the wire, as the engine hands it to a policy pack (which does not accept
 * references): a custom resource becomes its id (unknown while it is not created), a component its URN.
 */
export function resolveReferences(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolveReferences);
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  if (record[specialSigKey] === specialResourceSig) {
    if (record.id === undefined) return record.urn;
    return record.id === "" ? unknownValue : record.id;
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, resolveReferences(v)]));
}

/**
 * Records every registration from the request the SDK sends (what the engine would forward to a pack),
 * with resource references resolved before the mocks see them, and the state the mocks answered.
 */
function recordRegistrations(sdk: PulumiSdk): RegisteredResource[] {
  const resources: RegisteredResource[] = [];
  const monitor = sdk.pulumi.runtime.getMonitor() as unknown as MockMonitorInternals;
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const object = req.getObject();
    const wire = resolveReferences(object?.toJavaScript() ?? {}) as Record<string, unknown>;
    if (object) req.setObject(object.constructor.fromJavaScript(wire));
    const { value, secretPaths } = unwrapSecrets(wire);
    const entry = {
      urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()), type: req.getType(), name: req.getName(),
      custom: req.getCustom(), inputs: value as Record<string, unknown>, secretPaths, state: {} as Record<string, unknown>,
      parent: req.getParent() || undefined, dependencies: req.getDependenciesList(), provider: req.getProvider() || undefined,
    };
    resources.push(entry);
    return original(req, (err, resp) => {
      if (resp) entry.state = unwrapSecrets(resp.getObject()?.toJavaScript() ?? {}).value as Record<string, unknown>;
      callback(err, resp);
    });
  };
  return resources;
}

/** Provider functions: the mocks' answer, or an unknown result (never the inputs echoed back). */
function answerInvokes(sdk: PulumiSdk, mocks: pulumiModule.runtime.Mocks, unanswered: Set<string>): void {
  const monitor = sdk.pulumi.runtime.getMonitor() as unknown as MockMonitorInternals;
  const original = monitor.invoke.bind(monitor);
  monitor.invoke = async (req, callback) => {
    const token = req.getTok();
    const args = req.getArgs();
    if (token === "pulumi:pulumi:getResource" || !args) return original(req, callback);
    try {
      const resolved = args.constructor.fromJavaScript(resolveReferences(args.toJavaScript()) as Record<string, unknown>);
      const result = await mocks.call({ token, inputs: sdk.rpc.deserializeProperties(resolved), provider: req.getProvider() });
      const response = new sdk.proto.ResourceInvokeResponse();
      if (result === UNKNOWN_CALL_RESULT) {
        unanswered.add(token);
        response.setUnknown(true);
      } else {
        response.setReturn(args.constructor.fromJavaScript(await sdk.rpc.serializeProperties("", result)));
      }
      callback(null, response);
    } catch (err) {
      callback(err);
    }
  };
}

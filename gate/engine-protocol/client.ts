import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { EnforcementLevel, PolicyConfigSchema } from "@pulumi/policy";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb.js";
import analyzerPb from "@pulumi/pulumi/proto/analyzer_pb.js";
import type * as analyzer from "@pulumi/pulumi/proto/analyzer_pb.js";
import type * as plugin from "@pulumi/pulumi/proto/plugin_pb.js";
import empty_pb from "google-protobuf/google/protobuf/empty_pb.js";
import {
  analyzeRequest, analyzeStackRequest, configureRequest, configureStackRequest, diagnostics, enforcementLevelName,
  type EngineDiagnostic, type EngineResource, type StackContext,
} from "./encode.ts";
import { reconcilePackConfig, type PolicyInfoLike } from "./pack-config.ts";

// google-protobuf is CommonJS whose exports Node cannot always detect by name.
const { Empty } = empty_pb;

/**
 * Starts a Node.js policy pack exactly as the Pulumi CLI does (the nodejs language host's RunPlugin):
 * `node <pack>/node_modules/@pulumi/pulumi/cmd/run-policy-pack/index.js <nodeargs...> <engineAddress> <packDir>`,
 * cwd = the pack directory, PULUMI_NODEJS_{ORGANIZATION,PROJECT,STACK,DRY_RUN} and PULUMI_CONFIG set; the pack
 * prints its port as the first line of stdout.
 */
export interface LaunchOptions {
  readonly packDir: string;
  readonly stack: StackContext;
  /** PulumiPolicy.yaml's `nodeargs`: the CLI puts them after the script, where run-policy-pack swallows them. */
  readonly nodeArgs?: readonly string[];
  /** The engine's address; the pack never dials it (run-policy-pack drops it), but the CLI always passes one. */
  readonly engineAddress?: string;
  /** Milliseconds to wait for the port. */
  readonly timeoutMs?: number;
}

export interface RunningPack {
  readonly process: ChildProcess;
  readonly port: number;
  readonly client: AnalyzerClient;
  /** What the pack wrote to stderr so far (for failure messages). */
  stderr(): string;
  stop(): Promise<void>;
}

export class PackStartError extends Error {
  override readonly name = "PackStartError";
}

export async function launchPack(options: LaunchOptions): Promise<RunningPack> {
  const packDir = path.resolve(options.packDir);
  const script = path.join(packDir, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack", "index.js");
  const { stack } = options;
  const child = spawn(process.execPath, [script, ...(options.nodeArgs ?? []), options.engineAddress ?? "127.0.0.1:0", packDir], {
    cwd: packDir,
    env: {
      ...process.env,
      PULUMI_NODEJS_ORGANIZATION: stack.organization,
      PULUMI_NODEJS_PROJECT: stack.project,
      PULUMI_NODEJS_STACK: stack.stack,
      PULUMI_NODEJS_DRY_RUN: String(stack.dryRun),
      PULUMI_CONFIG: JSON.stringify(stack.config ?? {}),
      // The test runner's own loader flags must not leak into the pack: the CLI starts it with a clean node.
      NODE_OPTIONS: "",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
  const stop = () => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => fail(`printed no port within ${options.timeoutMs ?? 30_000} ms`), options.timeoutMs ?? 30_000);
    const fail = (why: string) => {
      clearTimeout(timer);
      void stop().then(() => reject(new PackStartError(`the policy pack in ${packDir} ${why}\n${stderr}`)));
    };
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      const first = stdout.slice(0, newline).trim();
      if (/^\d+$/.test(first)) resolve(Number(first));
      else fail(`printed "${first}" instead of a port`);
    });
    child.once("exit", (code, signal) => fail(`exited (code ${code}, signal ${signal}) before printing a port`));
  });
  const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { "grpc.max_receive_message_length": 400 * 1024 * 1024, "grpc.max_send_message_length": 400 * 1024 * 1024 });
  return {
    process: child, port, client, stderr: () => stderr,
    stop: async () => {
      client.close();
      await stop();
    },
  };
}

type Unary<Req, Res> = (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown;

/** One unary call as a promise; the stubs only offer callbacks. */
export function call<Req, Res>(client: AnalyzerClient, method: Unary<Req, Res>, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => method.call(client, req, (err, res) => (err ? reject(err) : resolve(res))));
}

/** The policies as the engine learns them from GetAnalyzerInfo (config schemas included). */
export function policiesOf(info: analyzer.AnalyzerInfo): PolicyInfoLike[] {
  return info.getPoliciesList().map((p) => {
    const schema = p.getConfigschema();
    const configSchema = schema && {
      properties: (schema.getProperties()?.toJavaScript() ?? {}) as PolicyConfigSchema["properties"],
      required: schema.getRequiredList(),
    };
    return { name: p.getName(), enforcementLevel: enforcementLevelName(p.getEnforcementlevel()) as EnforcementLevel, configSchema };
  });
}

export interface EngineSession {
  readonly info: analyzer.AnalyzerInfo;
  readonly pluginInfo: plugin.PluginInfo;
  analyze(resource: EngineResource): Promise<EngineDiagnostic[]>;
  analyzeStack(resources: readonly EngineResource[]): Promise<EngineDiagnostic[]>;
}

/**
 * The engine asks for remediations before it analyzes a resource, and analyzes the remediated properties.
 * No readiness rule remediates; a pack that does is refused rather than analyzed with the wrong properties.
 */
export async function remediateThenAnalyze(client: AnalyzerClient, req: analyzer.AnalyzeRequest): Promise<void> {
  const remediations = (await call<analyzer.AnalyzeRequest, analyzer.RemediateResponse>(client, client.remediate, req)).getRemediationsList();
  const changed = remediations.filter((r) => r.getProperties() !== undefined);
  if (changed.length > 0) throw new Error(`policy ${changed[0].getPolicyname()} remediated ${req.getUrn()}: remediations are not modelled here`);
}

/**
 * What the engine does with a freshly started pack before the first resource: Handshake (a pack that does not
 * implement it answers UNIMPLEMENTED, which the engine accepts), ConfigureStack, GetAnalyzerInfo,
 * GetPluginInfo, then Configure with the pack config reconciled and validated against the pack's own schemas
 * (throws EnginePackConfigError, and configures nothing, where the engine would stop). Per resource: Remediate,
 * then Analyze; AnalyzeStack once at the end.
 */
export async function startSession(pack: RunningPack, stack: StackContext, packConfig: Record<string, unknown>): Promise<EngineSession> {
  const { client } = pack;
  try {
    await call(client, client.handshake, new analyzerPb.AnalyzerHandshakeRequest().setEngineAddress("127.0.0.1:0").setRootDirectory(process.cwd()).setProgramDirectory(process.cwd()));
  } catch (err) {
    if ((err as grpc.ServiceError).code !== grpc.status.UNIMPLEMENTED) throw err;
  }
  await call(client, client.configureStack, configureStackRequest(stack));
  const info = await call<InstanceType<typeof Empty>, analyzer.AnalyzerInfo>(client, client.getAnalyzerInfo, new Empty());
  const pluginInfo = await call<InstanceType<typeof Empty>, plugin.PluginInfo>(client, client.getPluginInfo, new Empty());
  const reconciled = reconcilePackConfig(policiesOf(info), packConfig);
  await call(client, client.configure, configureRequest(reconciled));
  return {
    info, pluginInfo,
    analyze: async (r) => {
      const req = await analyzeRequest(r);
      await remediateThenAnalyze(client, req);
      return diagnostics(await call(client, client.analyze, req), r.urn);
    },
    analyzeStack: async (rs) => diagnostics(await call(client, client.analyzeStack, await analyzeStackRequest(rs))),
  };
}

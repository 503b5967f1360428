import type { EnforcementLevel } from "@pulumi/policy";
import analyzerPb from "@pulumi/pulumi/proto/analyzer_pb.js";
import type * as analyzer from "@pulumi/pulumi/proto/analyzer_pb.js";
import { serializeProperties, specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc.js";
import struct_pb from "google-protobuf/google/protobuf/struct_pb.js";
import type { AnalyzedResource } from "../policy-harness.ts";
import type { RegisteredResource } from "../program-runner.ts";
import type { ReconciledPolicyConfig } from "./pack-config.ts";

// google-protobuf is CommonJS whose exports Node cannot always detect by name.
const { Struct } = struct_pb;

/**
 * The engine's side of the analyzer protocol, built with the stubs that ship in `@pulumi/pulumi/proto`.
 * Values are encoded as the engine encodes them: secrets as `{ [sigKey]: secretSig, value }` (the engine keeps
 * secrets for analyzers), unknowns as the unknown sentinel string (`unknownValue` of @pulumi/pulumi's runtime,
 * which the gate also uses for values unknown during a preview), assets and archives by the runtime's own
 * serializer. One encoder for the engine-protocol test and the real-server benchmark.
 */

/**
 * A resource as the engine hands it to an analyzer: what the harness judges (Analyze gets `inputs`, AnalyzeStack
 * `outputs`, the inputs when absent), plus what only the protocol carries.
 */
export interface EngineResource extends AnalyzedResource {
  /** Dotted paths into inputs/outputs whose values are secret. */
  readonly secretPaths?: readonly string[];
  readonly protect?: boolean;
  readonly provider?: { readonly urn: string; readonly type: string; readonly name: string; readonly properties: Record<string, unknown> };
}

/**
 * The gate's view of a program's resources as the engine would send them: the same URNs, inputs and outputs
 * the harness judges (`analyzed`), with the secrets and explicit providers the program registered.
 */
export function engineResources(registered: readonly RegisteredResource[], analyzed: readonly AnalyzedResource[]): EngineResource[] {
  const byUrn = new Map(analyzed.map((a) => [a.urn, a]));
  return analyzed.map((a, i) => {
    const r = registered[i];
    // A provider reference is `<provider URN>::<id>`.
    const providerUrn = r.provider?.slice(0, r.provider.lastIndexOf("::"));
    const provider = providerUrn === undefined ? undefined : byUrn.get(providerUrn);
    return {
      ...a, secretPaths: r.secretPaths,
      provider: provider && { urn: provider.urn, type: provider.type, name: provider.name, properties: provider.inputs },
    };
  });
}

/** Re-wraps the values at `secretPaths` the way the engine marshals secrets. */
function withSecrets(value: unknown, secretPaths: ReadonlySet<string>, at = ""): unknown {
  let encoded: unknown = value;
  if (Array.isArray(value)) encoded = value.map((v, i) => withSecrets(v, secretPaths, at ? `${at}.${i}` : String(i)));
  else if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    encoded = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withSecrets(v, secretPaths, at ? `${at}.${k}` : k)]));
  }
  return at !== "" && secretPaths.has(at) ? { [specialSigKey]: specialSecretSig, value: encoded ?? null } : encoded;
}

/** A property bag as a protobuf Struct, encoded as the engine encodes it. */
export async function engineStruct(props: Record<string, unknown>, secretPaths: readonly string[] = []): Promise<InstanceType<typeof Struct>> {
  const wrapped = withSecrets(props, new Set(secretPaths)) as Record<string, unknown>;
  const serialized = await serializeProperties("engine-protocol", wrapped, { keepOutputValues: false });
  return Struct.fromJavaScript(serialized);
}

function resourceOptions(r: EngineResource): analyzer.AnalyzerResourceOptions {
  const timeouts = new analyzerPb.AnalyzerResourceOptions.CustomTimeouts().setCreate(0).setUpdate(0).setDelete(0);
  return new analyzerPb.AnalyzerResourceOptions()
    .setProtect(r.protect ?? false).setIgnorechangesList([]).setAliasesList([]).setAdditionalsecretoutputsList([])
    .setDeletebeforereplacedefined(false).setParent(r.parent ?? "").setCustomtimeouts(timeouts);
}

async function providerOf(r: EngineResource): Promise<analyzer.AnalyzerProviderResource | undefined> {
  if (!r.provider) return undefined;
  return new analyzerPb.AnalyzerProviderResource()
    .setUrn(r.provider.urn).setType(r.provider.type).setName(r.provider.name).setProperties(await engineStruct(r.provider.properties));
}

export async function analyzeRequest(r: EngineResource): Promise<analyzer.AnalyzeRequest> {
  const req = new analyzerPb.AnalyzeRequest()
    .setUrn(r.urn).setType(r.type).setName(r.name).setProperties(await engineStruct(r.inputs, r.secretPaths)).setOptions(resourceOptions(r));
  const provider = await providerOf(r);
  return provider ? req.setProvider(provider) : req;
}

export async function analyzerResource(r: EngineResource): Promise<analyzer.AnalyzerResource> {
  const res = new analyzerPb.AnalyzerResource()
    .setUrn(r.urn).setType(r.type).setName(r.name).setProperties(await engineStruct(r.outputs ?? r.inputs, r.secretPaths))
    .setOptions(resourceOptions(r)).setParent(r.parent ?? "").setDependenciesList([...(r.dependencies ?? [])]);
  const provider = await providerOf(r);
  return provider ? res.setProvider(provider) : res;
}

export async function analyzeStackRequest(resources: readonly EngineResource[]): Promise<analyzer.AnalyzeStackRequest> {
  return new analyzerPb.AnalyzeStackRequest().setResourcesList(await Promise.all(resources.map(analyzerResource)));
}

export interface StackContext {
  readonly organization: string;
  readonly project: string;
  readonly stack: string;
  readonly dryRun: boolean;
  /** The stack's config (`<namespace>:<key>` -> value as a string), as PULUMI_CONFIG carries it. */
  readonly config?: Readonly<Record<string, string>>;
  readonly tags?: Readonly<Record<string, string>>;
}

export function configureStackRequest(ctx: StackContext): analyzer.AnalyzerStackConfigureRequest {
  const req = new analyzerPb.AnalyzerStackConfigureRequest()
    .setStack(ctx.stack).setProject(ctx.project).setOrganization(ctx.organization).setDryRun(ctx.dryRun);
  for (const [k, v] of Object.entries(ctx.config ?? {})) req.getConfigMap().set(k, v);
  for (const [k, v] of Object.entries(ctx.tags ?? {})) req.getTagsMap().set(k, v);
  return req;
}

const LEVELS: Record<EnforcementLevel, analyzer.EnforcementLevel> = {
  advisory: analyzerPb.EnforcementLevel.ADVISORY,
  mandatory: analyzerPb.EnforcementLevel.MANDATORY,
  disabled: analyzerPb.EnforcementLevel.DISABLED,
  remediate: analyzerPb.EnforcementLevel.REMEDIATE,
};

export function enforcementLevelName(level: analyzer.EnforcementLevel): EnforcementLevel {
  const entry = Object.entries(LEVELS).find(([, v]) => v === level);
  if (!entry) throw new Error(`unknown enforcement level ${level} in an analyzer response`);
  return entry[0] as EnforcementLevel;
}

export function configureRequest(config: ReadonlyMap<string, ReconciledPolicyConfig>): analyzer.ConfigureAnalyzerRequest {
  const req = new analyzerPb.ConfigureAnalyzerRequest();
  for (const [name, c] of config) {
    req.getPolicyconfigMap().set(name, new analyzerPb.PolicyConfig().setEnforcementlevel(LEVELS[c.enforcementLevel]).setProperties(Struct.fromJavaScript(c.properties as never)));
  }
  return req;
}

/** A diagnostic as the engine reads it from AnalyzeResponse. */
export interface EngineDiagnostic {
  readonly policyName: string;
  readonly policyPackName: string;
  readonly enforcementLevel: EnforcementLevel;
  readonly message: string;
  readonly description: string;
  readonly urn?: string;
}

export function diagnostics(resp: analyzer.AnalyzeResponse, defaultUrn?: string): EngineDiagnostic[] {
  return resp.getDiagnosticsList().map((d) => ({
    policyName: d.getPolicyname(), policyPackName: d.getPolicypackname(), enforcementLevel: enforcementLevelName(d.getEnforcementlevel()),
    message: d.getMessage(), description: d.getDescription(), urn: d.getUrn() || defaultUrn,
  }));
}

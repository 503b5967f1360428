import type { EnforcementLevel } from "@pulumi/policy";
import { JUDGED_COMPONENT_TYPES } from "../policies/core/awsx.ts";
import { PACK_NAME } from "../policies/rules/catalog.ts";
import { exemptionFor, parseExemption, taggedExemptions } from "../policies/core/exemption.ts";
import { offlinePolicies, type ReadinessRule, type Severity } from "../policies/core/rule.ts";
import packageJson from "../policies/package.json" with { type: "json" };
import { inventoryOf, type InventoryEntry } from "./inventory.ts";
import { effectiveLevel, enforcementFor, policyConfig, runPolicies, type AnalyzedResource, type PackConfig } from "./policy-harness.ts";
import type { RegisteredResource } from "./program-runner.ts";

export interface Violation {
  readonly rule: string;
  readonly severity: Severity;
  readonly enforcementLevel: EnforcementLevel;
  readonly message: string;
  readonly remediation: string;
  readonly url: string;
  readonly unknownDuringPreview: boolean;
  readonly resource?: { readonly urn: string; readonly type: string; readonly name: string };
  /** The line that declares the resource (or the stack file's key), relative to where the gate ran. */
  readonly location?: ReportLocation;
}

export interface ReportLocation {
  readonly file: string;
  readonly line: number;
}

export interface ExemptionEntry {
  readonly rule: string;
  readonly resource: string;
  readonly source: "tag" | "pack-config";
  readonly reason: string;
  readonly expires?: string;
  readonly valid: boolean;
  readonly problem?: string;
}

export interface RuleSummary {
  readonly name: string;
  readonly area: string;
  readonly severity: Severity;
  readonly description: string;
  readonly remediationSteps: string;
  readonly url: string;
  readonly enforcementLevel: EnforcementLevel;
}

/** What the gate could and could not judge: every report states it. */
export interface Coverage {
  /** Resources of a type some rule inspects (directly, or as an awsx component judged from its inputs). */
  readonly inspectedResources: number;
  /** Cloud resources (not components) whose type no rule inspects, by type. */
  readonly uninspectedTypes: ReadonlyArray<{ readonly type: string; readonly count: number }>;
  /**
   * Components registered without children: remote (multi-language) components such as awsx's create their
   * children in their provider, which does not run offline.
   */
  readonly componentsWithoutChildren: ReadonlyArray<{ readonly urn: string; readonly type: string; readonly name: string; readonly judgedFromInputs: boolean }>;
}

export interface GateReport {
  readonly project: string;
  readonly stack: string;
  readonly environment: string;
  /** The file findings point at (the program's entry), relative to where the gate ran. */
  readonly programFile: string;
  readonly stackFile: string;
  readonly summary: { readonly resources: number; readonly mandatory: number; readonly advisory: number; readonly exemptions: number };
  readonly rules: readonly RuleSummary[];
  readonly violations: readonly Violation[];
  readonly exemptions: readonly ExemptionEntry[];
  readonly coverage: Coverage;
  readonly inventory: readonly InventoryEntry[];
  /** Provider functions the program called that the gate cannot answer offline: their results were unknown. */
  readonly unknownFunctions?: readonly string[];
}

export interface JudgeStackOptions {
  readonly project: string;
  readonly stack: string;
  readonly environment: string;
  readonly programFile: string;
  readonly stackFile: string;
  readonly rules: readonly ReadinessRule[];
  readonly packConfig: PackConfig;
  readonly now?: Date;
  /** A sentence for a violation's fix naming the program's own config keys behind the resource's inputs. */
  readonly configHint?: (message: string, resource: { readonly inputs: Record<string, unknown> }) => string | undefined;
  /** Where a resource is declared in the program (its call site), when known. */
  readonly locate?: (resource: { readonly type: string; readonly name: string }) => ReportLocation | undefined;
}

/** How the analyzer server names this pack in its messages, so gate reports read as the engine's. */
export const READINESS_PACK = { name: PACK_NAME, version: packageJson.version };

/** The engine gives stack policies outputs, which include the inputs; the mocks' state adds ids and ARNs. */
export function analyzedResources(resources: readonly RegisteredResource[]): AnalyzedResource[] {
  return resources.map((r, i) => ({
    // A resource the runner could not match to a URN still needs a distinct key.
    urn: r.urn || `urn:pulumi:unknown::${r.type}::${r.name}#${i}`,
    type: r.type, name: r.name, inputs: r.inputs, outputs: { ...r.inputs, ...r.state }, parent: r.parent, dependencies: r.dependencies,
  }));
}

/** Every exemption in play: tags on resources and pack-config entries, valid or not. */
export function collectExemptions(resources: readonly AnalyzedResource[], packConfig: PackConfig, now = new Date()): ExemptionEntry[] {
  const tagged = resources.flatMap((r) => taggedExemptions(r.inputs.tags, now).map((e) => ({ ...e, resource: r.name, source: "tag" as const })));
  const configured = Object.entries(packConfig).flatMap(([rule, entry]) => {
    const exemptions = typeof entry === "object" ? entry.exemptions : undefined;
    if (exemptions === null || typeof exemptions !== "object") return [];
    return Object.entries(exemptions as Record<string, string>).map(([resource, value]) => ({ ...parseExemption(rule, String(value), now), resource, source: "pack-config" as const }));
  });
  return [...tagged, ...configured].map(({ rule, resource, source, reason, expires, valid, problem }) => ({ rule, resource, source, reason, expires, valid, problem }));
}

/** The engine's own resources, which no rule is meant to inspect. */
function isEngineResource(type: string): boolean {
  return type === "pulumi:pulumi:Stack" || type.startsWith("pulumi:providers:");
}

export function coverageOf(resources: readonly RegisteredResource[], rules: readonly ReadinessRule[]): Coverage {
  const inspected = new Set<string>([...rules.flatMap((r) => r.types === "*" ? [] : [...r.types, ...r.componentTypes])]);
  const parents = new Set(resources.map((r) => r.parent));
  const uninspected = new Map<string, number>();
  for (const r of resources) {
    if (r.custom && !inspected.has(r.type) && !isEngineResource(r.type)) uninspected.set(r.type, (uninspected.get(r.type) ?? 0) + 1);
  }
  return {
    inspectedResources: resources.filter((r) => inspected.has(r.type)).length,
    uninspectedTypes: [...uninspected].sort(([a], [b]) => a.localeCompare(b)).map(([type, count]) => ({ type, count })),
    componentsWithoutChildren: resources.filter((r) => !r.custom && !isEngineResource(r.type) && !parents.has(r.urn))
      .map((r) => ({ urn: r.urn, type: r.type, name: r.name, judgedFromInputs: JUDGED_COMPONENT_TYPES.includes(r.type) })),
  };
}

/** Inputs whose Pulumi secret ends up in plain environment variables or container definitions, by resource type. */
const SECRET_ENV_INPUTS: Readonly<Record<string, readonly string[]>> = {
  "aws:lambda/function:Function": ["environment"],
  "aws:ecs/taskDefinition:TaskDefinition": ["containerDefinitions"],
  "awsx:ecs:FargateService": ["taskDefinitionArgs"],
  "awsx:ecs:EC2Service": ["taskDefinitionArgs"],
  "awsx:ecs:FargateTaskDefinition": ["container", "containers"],
  "awsx:ecs:EC2TaskDefinition": ["container", "containers"],
};
export const SECRET_ENV_RULE = "no-literal-secret-env";

/**
 * A value the program marks secret, placed where AWS keeps it in plaintext (Lambda environment variables, ECS
 * container definitions): the gate sees the secret marker, a real policy pack does not (its host unwraps
 * secrets before any policy runs), so this part of no-literal-secret-env is the gate's own.
 */
export function secretEnvViolations(resources: readonly RegisteredResource[], rules: readonly ReadinessRule[], packConfig: PackConfig, now = new Date()): Violation[] {
  const rule = rules.find((r) => r.name === SECRET_ENV_RULE);
  if (rule === undefined) return [];
  const level = effectiveLevel(rule, packConfig, "advisory");
  if (level === undefined) return [];
  const exemptions = policyConfig(rule, packConfig).exemptions as Record<string, string> | undefined;
  return resources.flatMap((r) => {
    const inputs = SECRET_ENV_INPUTS[r.type] ?? [];
    const secret = inputs.filter((input) => r.secretPaths.some((p) => p === input || p.startsWith(`${input}.`)));
    if (secret.length === 0 || exemptionFor(SECRET_ENV_RULE, r.inputs.tags, exemptions?.[r.name], now)?.valid) return [];
    return secret.map((input): Violation => ({
      rule: rule.name, severity: rule.severity, enforcementLevel: level,
      message: `${input} holds a value the program marks secret; AWS keeps it in plaintext (readable with a describe/get-configuration call): use secrets/valueFrom`,
      remediation: rule.remediationSteps, url: rule.url ?? "", unknownDuringPreview: false,
      resource: { urn: r.urn, type: r.type, name: r.name },
    }));
  });
}

/** Runs every rule over a program's resources (pure: no files, no program). */
export async function judgeStack(resources: readonly RegisteredResource[], options: JudgeStackOptions): Promise<GateReport> {
  const analyzed = analyzedResources(resources);
  const { findings } = await runPolicies(offlinePolicies(options.rules), analyzed, { config: options.packConfig, recordNotApplicable: false, pack: READINESS_PACK });
  const byName = new Map(options.rules.map((r) => [r.name, r]));
  const byUrn = new Map(analyzed.map((r) => [r.urn, r]));
  const violations = [...findings.map((f): Violation => {
    const rule = byName.get(f.policyName)!;
    const resource = f.urn === undefined ? undefined : byUrn.get(f.urn);
    const location = resource && options.locate?.(resource);
    const hint = resource && options.configHint?.(f.message, resource);
    return {
      rule: f.policyName, severity: rule.severity, enforcementLevel: f.enforcementLevel, message: f.message,
      remediation: hint ? `${rule.remediationSteps} ${hint}` : rule.remediationSteps, url: rule.url ?? "", unknownDuringPreview: f.unknownDuringPreview === true,
      resource: resource && { urn: resource.urn, type: resource.type, name: resource.name },
      ...(location ? { location } : {}),
    };
  }), ...secretEnvViolations(resources, options.rules, options.packConfig, options.now)];
  const exemptions = collectExemptions(analyzed, options.packConfig, options.now);
  return {
    project: options.project, stack: options.stack, environment: options.environment,
    programFile: options.programFile, stackFile: options.stackFile,
    summary: {
      resources: resources.length,
      mandatory: violations.filter((v) => v.enforcementLevel === "mandatory").length,
      advisory: violations.filter((v) => v.enforcementLevel !== "mandatory").length,
      exemptions: exemptions.length,
    },
    rules: options.rules.map((r) => ({
      name: r.name, area: r.area, severity: r.severity, description: r.description, remediationSteps: r.remediationSteps,
      url: r.url ?? "", enforcementLevel: enforcementFor(r, options.packConfig, "advisory"),
    })),
    violations,
    exemptions,
    coverage: coverageOf(resources, options.rules),
    inventory: inventoryOf(resources),
  };
}

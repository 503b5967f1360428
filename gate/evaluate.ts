import type { EnforcementLevel } from "@pulumi/policy";
import { parseExemption, taggedExemptions } from "../policies/rules/exemption.ts";
import type { ReadinessRule, Severity } from "../policies/rules/rule.ts";
import { inventoryOf, type InventoryEntry } from "./inventory.ts";
import { enforcementFor, runPolicies, type AnalyzedResource, type PackConfig } from "./policy-harness.ts";
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
  readonly inventory: readonly InventoryEntry[];
  /** Provider functions the program called that the gate cannot answer offline: their results were unknown. */
  readonly unknownFunctions?: readonly string[];
}

export interface EvaluateOptions {
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

/** Runs every rule over a program's resources (pure: no files, no program). */
export async function evaluateStack(resources: readonly RegisteredResource[], options: EvaluateOptions): Promise<GateReport> {
  const analyzed = analyzedResources(resources);
  const { findings } = await runPolicies([...options.rules], analyzed, { config: options.packConfig, recordNotApplicable: false });
  const byName = new Map(options.rules.map((r) => [r.name, r]));
  const byUrn = new Map(analyzed.map((r) => [r.urn, r]));
  const violations = findings.map((f): Violation => {
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
  });
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
    inventory: inventoryOf(resources),
  };
}

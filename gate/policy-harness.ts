import {
  UnknownValueError, unknownCheckingProxy, type EnforcementLevel, type Policies, type PolicyConfigSchema,
  type PolicyResource, type ReportViolation, type ResourceValidationArgs, type StackValidationArgs,
} from "@pulumi/policy";
import { mergePolicyEntry, reconciledEntry, type ReconciledPolicyConfig } from "./engine-protocol/pack-config.ts";

/** A resource as the policy host receives it from the engine. */
export interface AnalyzedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** What `validateResource` sees: the resource's inputs. */
  readonly inputs: Record<string, unknown>;
  /** What `validateStack` sees: the resource's outputs (inputs plus provider-computed values). */
  readonly outputs?: Record<string, unknown>;
  readonly parent?: string;
  readonly dependencies?: readonly string[];
}

/** `--policy-pack-config` JSON: per policy a level, or an object with `enforcementLevel` and config values. */
export type PackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface PolicyFinding {
  readonly policyName: string;
  readonly enforcementLevel: EnforcementLevel;
  readonly message: string;
  readonly urn?: string;
  /** True when the rule could not run because a value is unknown until the update (reported advisory, like the host). */
  readonly unknownDuringPreview?: boolean;
}

export interface NotApplicable { readonly policyName: string; readonly urn?: string; readonly reason?: string }

export interface HarnessResult {
  readonly findings: PolicyFinding[];
  readonly notApplicable: NotApplicable[];
}

export interface HarnessOptions {
  readonly config?: PackConfig;
  /** The pack's own default, `PolicyPackArgs.enforcementLevel` (advisory when unset, as in @pulumi/policy). */
  readonly packEnforcementLevel?: EnforcementLevel;
  readonly stackTags?: ReadonlyMap<string, string>;
  /** Record not-applicable results (off for benchmarks: one per rule per resource). */
  readonly recordNotApplicable?: boolean;
  /** The pack as the server names it in "can't run ... during preview" messages (`name@vversion`). */
  readonly pack?: { readonly name: string; readonly version: string };
}

/**
 * The host's NotApplicableError carries a stack trace; thrown once per rule per resource that is
 * measurable at 10,000 resources, and the harness only needs the reason.
 */
class NotApplicableSignal {
  constructor(readonly reason?: string) {}
}

interface PolicyLike {
  readonly name: string;
  readonly enforcementLevel?: EnforcementLevel;
  readonly configSchema?: PolicyConfigSchema;
  readonly validateResource?: unknown;
  readonly validateStack?: unknown;
}

/**
 * A policy's entry and `all`'s merged as the engine merges them (engine-protocol/pack-config.ts): `all` first,
 * then the policy's own entry, the schema's defaults filling what is missing; the level falls back to the
 * policy's own, then the pack's.
 */
function reconciledFor(policy: PolicyLike, config: PackConfig, packLevel: EnforcementLevel): ReconciledPolicyConfig {
  const entry = (e: PackConfig[string] | undefined) => typeof e === "string" ? { enforcementLevel: e } : e;
  return reconciledEntry(policy, mergePolicyEntry(policy, entry(config.all), entry(config[policy.name])), packLevel);
}

/** The level the CLI would give a policy: its config entry, then `all`, then the policy's own, then the pack's. */
export function enforcementFor(policy: PolicyLike, config: PackConfig, packLevel: EnforcementLevel): EnforcementLevel {
  return reconciledFor(policy, config, packLevel).enforcementLevel;
}

/**
 * The level a policy's findings get during analysis, or undefined when it is disabled (it does not run): the
 * host runs remediations in a separate pass and reports them as mandatory during analysis.
 */
export function effectiveLevel(policy: PolicyLike, config: PackConfig, packLevel: EnforcementLevel): "advisory" | "mandatory" | undefined {
  const level = enforcementFor(policy, config, packLevel);
  if (level === "disabled") return undefined;
  return level === "remediate" ? "mandatory" : level;
}

/** What `args.getConfig()` returns: the policy's config (without enforcementLevel) over `all`'s, over the schema's defaults. */
export function policyConfig(policy: PolicyLike, config: PackConfig): Record<string, unknown> {
  return reconciledFor(policy, config, "advisory").properties;
}

const NO_TIMEOUTS = Object.freeze({ createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 });

/**
 * The per-call arguments, with `isType`/`asType` as the host implements them (by the class's Pulumi type
 * token). A class keeps the helpers on the prototype: at 10,000 resources per-call closures dominate.
 */
class ValidationArgs {
  readonly opts: Record<string, unknown>;
  constructor(
    readonly type: string, readonly props: Record<string, unknown>, readonly urn: string, readonly name: string,
    parent: string | undefined, readonly stackTags: ReadonlyMap<string, string>, readonly getConfig: <T extends object>() => T,
  ) {
    this.opts = { protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: NO_TIMEOUTS, parent };
  }
  isType(cls: unknown): boolean {
    return (cls as { __pulumiType?: string }).__pulumiType === this.type;
  }
  asType(cls: unknown): Record<string, unknown> | undefined {
    return this.isType(cls) ? this.props : undefined;
  }
  notApplicable(reason?: string): never {
    throw new NotApplicableSignal(reason);
  }
}

/**
 * Runs every policy the way @pulumi/policy 1.21's analyzer server does: each resource policy once per
 * resource with its inputs behind `unknownCheckingProxy`, each stack policy once with every resource's
 * outputs, config defaults from the schema, `notApplicable`, and an unknown value turned into an
 * advisory "can't run during preview" finding instead of a crash.
 */
export async function runPolicies(policies: Policies, resources: readonly AnalyzedResource[], options: HarnessOptions = {}): Promise<HarnessResult> {
  const config = options.config ?? {};
  const packLevel = options.packEnforcementLevel ?? "advisory";
  const stackTags = options.stackTags ?? new Map<string, string>();
  const fromPack = options.pack ? ` from policy pack '${options.pack.name}@v${options.pack.version}'` : "";
  const findings: PolicyFinding[] = [];
  const notApplicable: NotApplicable[] = [];
  let linked: PolicyResource[] | undefined;

  for (const policy of policies as readonly PolicyLike[]) {
    const enforcementLevel = effectiveLevel(policy, config, packLevel);
    if (enforcementLevel === undefined) continue;
    const values = policyConfig(policy, config);
    // The host hands out a fresh shallow copy (object rest) on each call.
    const getConfig = <T extends object>() => ({ ...values }) as T;
    const handleError = (err: unknown, urn?: string) => {
      if (err instanceof NotApplicableSignal) {
        if (options.recordNotApplicable !== false) notApplicable.push({ policyName: policy.name, urn, reason: err.reason });
      } else if (err instanceof UnknownValueError) {
        findings.push({ policyName: policy.name, enforcementLevel: "advisory", urn, unknownDuringPreview: true, message: `can't run policy '${policy.name}'${fromPack} during preview: ${(err as Error).message}` });
      } else {
        throw new Error(`policy ${policy.name} failed${urn ? ` on ${urn}` : ""}: ${(err as Error).message}`, { cause: err });
      }
    };

    if (typeof policy.validateResource === "function" || Array.isArray(policy.validateResource)) {
      const validations = (Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource]) as Array<(a: ResourceValidationArgs, r: ReportViolation) => unknown>;
      let current = "";
      const report: ReportViolation = (message, urn) => findings.push({ policyName: policy.name, enforcementLevel, message, urn: urn ?? current });
      // The server's fast path: a single validation tagged with one type skips every other type unseen.
      const onlyType = validations.length === 1 ? (validations[0] as { __pulumiType?: unknown }).__pulumiType : undefined;
      for (const resource of resources) {
        current = resource.urn;
        if (typeof onlyType === "string" && onlyType !== "" && resource.type !== onlyType) {
          handleError(new NotApplicableSignal(`Policy only applies to resources of type '${onlyType}'`), resource.urn);
          continue;
        }
        for (const validate of validations) {
          const props = unknownCheckingProxy(resource.inputs) as Record<string, unknown>;
          const args = new ValidationArgs(resource.type, props, resource.urn, resource.name, resource.parent, stackTags, getConfig);
          try {
            const pending = validate(args as unknown as ResourceValidationArgs, report);
            if (pending instanceof Promise) await pending;
          } catch (err) {
            handleError(err, resource.urn);
          }
        }
      }
    }
    // A policy may have both (the host runs validateResource in Analyze and validateStack in AnalyzeStack).
    if (typeof policy.validateStack === "function") {
      const report: ReportViolation = (message, urn) => findings.push({ policyName: policy.name, enforcementLevel, message, urn });
      // The host deserializes the stack again for each stack policy; the harness builds it once and hands every
      // stack policy the same read-only view (no rule writes to resources), which keeps 50,000-resource runs linear.
      linked ??= stackResources(resources, stackTags, noResourceConfig);
      const args = { resources: linked, getConfig, stackTags, notApplicable: ValidationArgs.prototype.notApplicable } as unknown as StackValidationArgs;
      try {
        const pending = (policy.validateStack as (a: StackValidationArgs, r: ReportViolation) => unknown)(args, report);
        if (pending instanceof Promise) await pending;
      } catch (err) {
        handleError(err);
      }
    }
  }
  return { findings, notApplicable };
}

/** A stack policy's resources carry no config of their own (`getConfig` belongs to the policy's args). */
const noResourceConfig = <T extends object>() => ({}) as T;

/** Stack policies get every resource with parent and dependencies linked as objects, like the host builds them. */
function stackResources(resources: readonly AnalyzedResource[], stackTags: ReadonlyMap<string, string>, getConfig: <T extends object>() => T): PolicyResource[] {
  type Linked = ValidationArgs & { parent?: Linked; dependencies: Linked[]; propertyDependencies: Record<string, Linked[]> };
  const byUrn = new Map<string, Linked>();
  for (const r of resources) {
    const props = unknownCheckingProxy(r.outputs ?? r.inputs) as Record<string, unknown>;
    const linked = new ValidationArgs(r.type, props, r.urn, r.name, r.parent, stackTags, getConfig) as Linked;
    linked.dependencies = [];
    linked.propertyDependencies = {};
    byUrn.set(r.urn, linked);
  }
  for (const r of resources) {
    const resource = byUrn.get(r.urn)!;
    if (r.parent && byUrn.has(r.parent)) resource.parent = byUrn.get(r.parent);
    resource.dependencies = (r.dependencies ?? []).map((d) => byUrn.get(d)).filter((d): d is Linked => d !== undefined);
  }
  return [...byUrn.values()] as unknown as PolicyResource[];
}

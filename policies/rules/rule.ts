import type {
  EnforcementLevel, PolicyConfigSchema, PolicyResource, ReportViolation, ResourceValidationArgs,
  ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy,
} from "@pulumi/policy";
import { exemptionFor, type Exemption } from "./exemption.ts";

export type Severity = "low" | "medium" | "high" | "critical";
export const ENVIRONMENTS = ["dev", "staging", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export type Area =
  | "network" | "load-balancing" | "waf" | "ecs" | "database" | "cache" | "lambda" | "secrets" | "storage"
  | "monitoring" | "backups" | "iam" | "exemptions";

/** Resource inputs as the policy host hands them over: plain JSON, possibly behind the unknown-checking proxy. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Props = Record<string, any>;

/** What every rule reads from its pack config (`policies/config/<env>.json`). */
export interface RuleConfig {
  readonly environment: Environment;
  /** Resource name -> `"<reason> expires=YYYY-MM-DD"`, for resources that cannot carry tags. */
  readonly exemptions: Readonly<Record<string, string>>;
}

export const DOCS_BASE = "https://github.com/readiness-platform/readiness/blob/main/docs/policies.md";

/**
 * Every rule shares this schema. `environment` defaults to production so a pack run without config
 * is as strict as it gets; the engine fills schema defaults in, and `readRuleConfig` repeats them for hosts that do not.
 */
export const ruleConfigSchema: PolicyConfigSchema = {
  properties: {
    environment: { type: "string", enum: [...ENVIRONMENTS], default: "production", description: "The stack's environment" },
    exemptions: {
      type: "object",
      additionalProperties: { type: "string" },
      default: {},
      description: "Resource name -> \"<reason, 10+ characters> expires=YYYY-MM-DD\" for resources without tags",
    },
  },
};

/**
 * The engine validates pack config against `ruleConfigSchema` before the pack sees it, and fills its defaults;
 * a host that does neither still gets the defaults here, but never a silent reinterpretation of a bad value.
 */
export function readRuleConfig(raw: Partial<RuleConfig>): RuleConfig {
  const environment = raw.environment ?? "production";
  if (!ENVIRONMENTS.includes(environment)) {
    throw new Error(`pack config: environment "${String(environment)}" is not one of ${ENVIRONMENTS.join(", ")}`);
  }
  return { environment, exemptions: raw.exemptions ?? {} };
}

/** Metadata shared by resource and stack rules; it feeds the pack, docs/policies.md and every report. */
export interface RuleMetadata {
  readonly name: string;
  readonly area: Area;
  readonly description: string;
  /** Why the rule exists (the incident or attack it prevents). */
  readonly why: string;
  readonly severity: Severity;
  readonly remediationSteps: string;
  /** Environments the rule applies in; other environments get `notApplicable`. */
  readonly environments?: readonly Environment[];
  /**
   * Why the rule can only report advisory "can't run ... during preview" in the first preview of a new stack
   * (the input it reads is usually computed from other resources' outputs); absent when it always can judge.
   */
  readonly inPreview?: string;
}

export interface CheckContext {
  readonly environment: Environment;
  readonly type: string;
  readonly name: string;
}

export interface ResourceRuleSpec extends RuleMetadata {
  /** Every type token the rule inspects, aliases included (`aws:lb/...` and `aws:alb/...`); `*` for all. */
  readonly types: readonly string[] | "*";
  /** Returns one message per problem; empty when compliant. */
  check(props: Props, ctx: CheckContext): string[];
}

export interface StackViolation { readonly message: string; readonly urn?: string }

export interface StackRuleSpec extends RuleMetadata {
  check(resources: readonly PolicyResource[], ctx: { environment: Environment }): StackViolation[];
}

export type ReadinessResourceRule = ResourceValidationPolicy & RuleMetadata & { readonly kind: "resource"; readonly types: readonly string[] | "*" };
export type ReadinessStackRule = StackValidationPolicy & RuleMetadata & { readonly kind: "stack" };
export type ReadinessRule = ReadinessResourceRule | ReadinessStackRule;

/**
 * The enforcement a rule gets when no pack config names it: mandatory for critical/high, so the pack
 * fails closed. The per-environment config files relax them where the environment allows.
 */
export function defaultEnforcement(severity: Severity): EnforcementLevel {
  return severity === "critical" || severity === "high" ? "mandatory" : "advisory";
}

function policyFields(spec: RuleMetadata) {
  return {
    name: spec.name,
    description: spec.description,
    severity: spec.severity,
    remediationSteps: spec.remediationSteps,
    url: `${DOCS_BASE}#${spec.name}`,
    enforcementLevel: defaultEnforcement(spec.severity),
    configSchema: ruleConfigSchema,
  };
}

function appliesIn(spec: RuleMetadata, environment: Environment): boolean {
  return spec.environments === undefined || spec.environments.includes(environment);
}

export function resourceRule(spec: ResourceRuleSpec): ReadinessResourceRule {
  const types = spec.types === "*" ? undefined : new Set(spec.types);
  // An exemption from the exemption rules would let a tag vouch for itself.
  const exemptable = spec.area !== "exemptions";
  const { check, ...metadata } = spec;
  const validateResource = (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
    if (types !== undefined && !types.has(args.type)) notApplicableCheaply(args);
    const config = readRuleConfig(args.getConfig<Partial<RuleConfig>>());
    if (!appliesIn(spec, config.environment)) args.notApplicable(`applies in ${spec.environments?.join(", ")} only`);
    const configured = exemptable ? config.exemptions[args.name] : undefined;
    const exemption = exemptable ? exemptionFor(spec.name, args.props.tags, configured) : undefined;
    if (configured !== undefined && exemption && !exemption.valid) {
      reportViolation(`the pack-config exemption for ${args.name} is invalid: ${exemption.problem}`);
    }
    const messages = check(args.props, { environment: config.environment, type: args.type, name: args.name });
    reportUnlessExempt(messages, exemption, reportViolation);
  };
  return { ...metadata, ...policyFields(spec), kind: "resource", validateResource: tagSingleType(validateResource, spec.types) };
}

/**
 * Untagged rules (type aliases) see every resource and answer "not applicable" to most. The host's
 * NotApplicableError would capture a stack trace nobody reads, and a reason would be copied into every
 * response; at 10,000 resources both cost more than the rule. The engine still gets "not applicable".
 */
function notApplicableCheaply(args: { notApplicable(reason?: string): never }): never {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return args.notApplicable();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * A rule over one type carries that type the way `validateResourceOfType` tags its function: the analyzer
 * server then skips every other resource before deserializing its properties (@pulumi/policy server.js,
 * `getPulumiType(p.validateResource)`). A rule over aliases or every type cannot be tagged (the server
 * compares one string); those are the only rules the server runs for every resource.
 */
function tagSingleType<F extends object>(validate: F, types: readonly string[] | "*"): F {
  if (types !== "*" && types.length === 1) Object.defineProperty(validate, "__pulumiType", { value: types[0], enumerable: false });
  return validate;
}

export function stackRule(spec: StackRuleSpec): ReadinessStackRule {
  const { check, ...metadata } = spec;
  return {
    ...metadata,
    ...policyFields(spec),
    kind: "stack",
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
      const config = readRuleConfig(args.getConfig<Partial<RuleConfig>>());
      if (!appliesIn(spec, config.environment)) args.notApplicable(`applies in ${spec.environments?.join(", ")} only`);
      const byUrn = new Map(args.resources.map((r) => [r.urn, r]));
      for (const violation of check(args.resources, { environment: config.environment })) {
        const resource = violation.urn === undefined ? undefined : byUrn.get(violation.urn);
        const exemption = resource && exemptionFor(spec.name, resource.props.tags, config.exemptions[resource.name]);
        reportUnlessExempt([violation.message], exemption, (message) => reportViolation(message, violation.urn));
      }
    },
  };
}

function reportUnlessExempt(messages: string[], exemption: Exemption | undefined, report: (message: string) => void): void {
  if (messages.length === 0 || exemption?.valid) return;
  const note = exemption ? ` (exemption ignored: ${exemption.problem})` : "";
  for (const message of messages) report(`${message}${note}`);
}

/** Inputs are whatever the program passed: read them defensively, a rule must never throw on a shape. */
export function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/**
 * Whether an input is set. During a preview of a new stack an input computed from another resource's output
 * (a KMS key's ARN, a bucket's name) is unknown: it is set, just not known yet, so it does not make the rule
 * give up ("can't run during preview").
 */
export function isSet(read: () => unknown): boolean {
  try {
    const value = read();
    return value !== undefined && value !== null && value !== "";
  } catch (err) {
    if (isUnknownValueError(err)) return true;
    throw err;
  }
}

/**
 * The host's "value unknown during preview" error. Matched by name, not `instanceof`: the gate runs these rules
 * with the root's @pulumi/policy while they may resolve policies/node_modules' copy (same version, other class).
 */
export function isUnknownValueError(err: unknown): boolean {
  return err instanceof Error && err.constructor.name === "UnknownValueError";
}

/** A number input (providers accept numeric strings too); NaN for anything else. */
export function num(value: unknown): number {
  return typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
}

export function items(value: unknown): Props[] {
  return Array.isArray(value) ? value.filter((v) => v !== null && typeof v === "object") : [];
}

/**
 * Whether `resource` takes an input from `target`. Stack rules relate resources by dependency first:
 * during a preview of a new stack the ARNs/ids they would compare are still unknown, the dependencies are not.
 */
export function dependsOn(resource: PolicyResource, target: PolicyResource): boolean {
  return resource.dependencies.some((d) => d.urn === target.urn);
}

/**
 * The targets no companion refers to: by dependency first; only companions that depend on no target at all
 * (their reference may come from config or a lookup) are compared by value, lazily, because during a
 * preview of a new stack the ARNs, ids and names they would compare are still unknown.
 */
export function unreferenced(
  targets: readonly PolicyResource[], companions: readonly PolicyResource[],
  reference: (companion: PolicyResource) => unknown, keys: (target: PolicyResource) => unknown[],
): PolicyResource[] {
  const targetUrns = new Set(targets.map((t) => t.urn));
  const byDependency = new Set(companions.flatMap((c) => c.dependencies.map((d) => d.urn)));
  const loose = companions.filter((c) => !c.dependencies.some((d) => targetUrns.has(d.urn)));
  let references: Set<unknown> | undefined;
  const referencedByValue = (t: PolicyResource) => loose.length > 0 && keys(t).some((k) => (references ??= new Set(loose.map(reference))).has(k));
  return targets.filter((t) => !byDependency.has(t.urn) && !referencedByValue(t));
}

/** Resources of any of `types` from a stack, for rules that relate resources to each other. */
export function ofTypes(resources: readonly PolicyResource[], types: readonly string[]): PolicyResource[] {
  return resources.filter((r) => types.includes(r.type));
}

import {
  validateResourceOfType,
  type EnforcementLevel, type PolicyConfigSchema, type PolicyResource, type ReportViolation, type ResourceValidationArgs,
  type ResourceValidationPolicy, type StackValidationArgs, type StackValidationPolicy,
} from "@pulumi/policy";
import { componentChildren, componentTypesCreating, origin, withComponentChildren, type StackResource } from "./awsx.ts";
import { exemptionFor, type Exemption } from "./exemption.ts";
import type { Props } from "./inputs.ts";
import { ENVIRONMENTS, isEnvironment, type Environment } from "../shared/environments.ts";
import { LEVEL_BY_SEVERITY } from "../shared/enforcement.ts";

export type Severity = "low" | "medium" | "high" | "critical";
export type { Environment } from "../shared/environments.ts";
export type Area =
  | "network" | "load-balancing" | "waf" | "ecs" | "database" | "cache" | "lambda" | "secrets" | "storage"
  | "monitoring" | "backups" | "iam" | "exemptions" | "compute" | "api-gateway" | "dynamodb";

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
  if (!isEnvironment(environment)) {
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
  /**
   * Problems only the whole stack shows (e.g. whether a security group belongs to a load balancer). Runs in the
   * same policy's `validateStack`, after the per-resource check, over the stack with awsx children filled in.
   */
  checkStack?(resources: readonly StackResource[], ctx: { environment: Environment }): StackViolation[];
}

export interface StackViolation { readonly message: string; readonly urn?: string }

export interface StackRuleSpec extends RuleMetadata {
  /** The types the rule judges or relates (for coverage reports and docs); `*` for every resource. */
  readonly types: readonly string[] | "*";
  /**
   * The one type the rule reports on, where there is one (REST API stages for their WebACL): a stack without a
   * resource of that type has nothing to judge, and the host skips the rule without deserializing the stack.
   */
  readonly subjectType?: string;
  /** Every resource of the stack, plus the children awsx components would create where the stack does not hold them. */
  check(resources: readonly StackResource[], ctx: { environment: Environment }): StackViolation[];
}

export type ReadinessResourceRule = ResourceValidationPolicy & Partial<Pick<StackValidationPolicy, "validateStack">> & RuleMetadata & {
  readonly kind: "resource"; readonly types: readonly string[] | "*";
  /** The awsx component types whose inputs this rule also judges (through the children they create). */
  readonly componentTypes: readonly string[];
  /** `validateStack` plus the children of childless awsx components, judged from their inputs: the gate's (offlinePolicies). */
  readonly validateStackWithDerivedChildren?: StackValidationPolicy["validateStack"];
};
export type ReadinessStackRule = StackValidationPolicy & RuleMetadata & {
  readonly kind: "stack"; readonly types: readonly string[] | "*";
  /** The awsx component types whose inputs this rule also judges (through the children they create). */
  readonly componentTypes: readonly string[];
};
export type ReadinessRule = ReadinessResourceRule | ReadinessStackRule;

/**
 * The enforcement a rule gets when no pack config names it: production's (mandatory for critical/high), so the pack
 * fails closed. The per-environment config files relax them where the environment allows.
 */
export function defaultEnforcement(severity: Severity): EnforcementLevel {
  return LEVEL_BY_SEVERITY.production[severity];
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

/** The rule's config, or the host's "not applicable" where the rule does not apply in the stack's environment. */
function configFor(spec: RuleMetadata, args: Pick<StackValidationArgs, "getConfig" | "notApplicable">): RuleConfig {
  const config = readRuleConfig(args.getConfig<Partial<RuleConfig>>());
  if (spec.environments !== undefined && !spec.environments.includes(config.environment)) {
    args.notApplicable(`applies in ${spec.environments.join(", ")} only`);
  }
  return config;
}

export function resourceRule(spec: ResourceRuleSpec): ReadinessResourceRule {
  const types = spec.types === "*" ? undefined : new Set(spec.types);
  // An exemption from the exemption rules would let a tag vouch for itself.
  const exemptable = spec.area !== "exemptions";
  const { check, checkStack, ...metadata } = spec;
  const judge = (args: { props: Props; type: string; name: string }, config: RuleConfig, report: (message: string) => void) => {
    const configured = exemptable ? config.exemptions[args.name] : undefined;
    const exemption = exemptable ? exemptionFor(spec.name, args.props.tags, configured) : undefined;
    if (configured !== undefined && exemption && !exemption.valid) {
      report(`the pack-config exemption for ${args.name} is invalid: ${exemption.problem}`);
    }
    reportUnlessExempt(check(args.props, { environment: config.environment, type: args.type, name: args.name }), exemption, report);
  };
  const validate = (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
    if (types !== undefined && !types.has(args.type)) notApplicableCheaply(args);
    judge(args, configFor(spec, args), (message) => reportViolation(message));
  };
  // A single-type rule carries its type, so the policy host skips every other resource before deserializing it.
  const singleType = types?.size === 1 ? [...types][0] : undefined;
  const validateResource = singleType !== undefined
    ? validateResourceOfType({ __pulumiType: singleType } as never, (_props, args, report) => validate(args, report))
    : validate;
  const componentTypes = types === undefined ? [] : componentTypesCreating([...types]);
  // The stack as checkStack sees it: every resource, plus the children childless awsx components would create.
  const judgeStack = (args: StackValidationArgs, children: readonly StackResource[], reportViolation: ReportViolation, config: RuleConfig) => {
    if (checkStack) reportStackViolations(spec.name, checkStack([...args.resources, ...children], config), args.resources, config, reportViolation);
  };
  return {
    ...metadata,
    ...policyFields(spec),
    kind: "resource",
    componentTypes,
    validateResource,
    ...(checkStack ? {
      validateStack: onlyWhereTypeExists(singleType, (args: StackValidationArgs, reportViolation: ReportViolation) =>
        judgeStack(args, componentChildren(args.resources), reportViolation, configFor(spec, args))),
    } : {}),
    ...(componentTypes.length > 0 ? {
      // The children awsx components would create, judged from the components' inputs, before checkStack's findings.
      // Only components whose children are absent count, which happens offline only (see offlinePolicies).
      validateStackWithDerivedChildren: (args: StackValidationArgs, reportViolation: ReportViolation) => {
        const config = configFor(spec, args);
        const children = componentChildren(args.resources);
        for (const child of children) {
          if (!types?.has(child.type)) continue;
          const component = child.component!;
          judge({ props: { ...child.props, tags: component.props.tags }, type: child.type, name: component.name }, config,
            (message) => reportViolation(`${message}${origin(child)}`, component.urn));
        }
        judgeStack(args, children, reportViolation, config);
      },
    } : {}),
  };
}

/**
 * The policies the offline gate runs. Under `pulumi preview` the awsx provider registers every component's children
 * and the rules judge them, so the pack the engine loads leaves out the judgement of children derived from a
 * component's inputs: it would find nothing there, and the host would deserialize the whole stack once more per
 * such policy (docs/adr/0064). Offline a remote component registers alone, and that judgement is the only view of
 * what it creates.
 */
export function offlinePolicies(rules: readonly ReadinessRule[]): ReadinessRule[] {
  return rules.map((rule) => rule.kind === "resource" && rule.validateStackWithDerivedChildren
    ? { ...rule, validateStack: rule.validateStackWithDerivedChildren }
    : rule);
}

/**
 * A stack validation that only concerns resources of one type carries that type, as `validateResourceOfType`
 * does for resources: the host then skips it, without deserializing the stack, when the stack holds none.
 */
function onlyWhereTypeExists<F extends StackValidationPolicy["validateStack"]>(type: string | undefined, validate: F): F {
  return type === undefined ? validate : Object.assign(validate, { __pulumiType: type });
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

export function stackRule(spec: StackRuleSpec): ReadinessStackRule {
  const { check, ...metadata } = spec;
  return {
    ...metadata,
    ...policyFields(spec),
    kind: "stack",
    componentTypes: spec.types === "*" ? [] : componentTypesCreating(spec.types),
    validateStack: onlyWhereTypeExists(spec.subjectType,
      (args: StackValidationArgs, reportViolation: ReportViolation) => {
        const config = configFor(spec, args);
        reportStackViolations(spec.name, check(withComponentChildren(args.resources), config), args.resources, config, reportViolation);
      }),
  };
}

function reportStackViolations(
  rule: string, violations: readonly StackViolation[], resources: readonly PolicyResource[], config: RuleConfig, reportViolation: ReportViolation,
): void {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  for (const violation of violations) {
    const resource = violation.urn === undefined ? undefined : byUrn.get(violation.urn);
    const exemption = resource && exemptionFor(rule, resource.props.tags, config.exemptions[resource.name]);
    reportUnlessExempt([violation.message], exemption, (message) => reportViolation(message, violation.urn));
  }
}

function reportUnlessExempt(messages: string[], exemption: Exemption | undefined, report: (message: string) => void): void {
  if (messages.length === 0 || exemption?.valid) return;
  const note = exemption ? ` (exemption ignored: ${exemption.problem})` : "";
  for (const message of messages) report(`${message}${note}`);
}

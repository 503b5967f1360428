import { isInternetFacingAlb } from "./load-balancing.ts";
import { origin, reportedUrn } from "./awsx.ts";
import { items, num, ofTypes, resourceRule, stackRule, text, unreferenced, type Props } from "./rule.ts";
import { T } from "./types.ts";

/** Every nested statement of a WAF rule (and/or/not statements and rate-based scope-downs included). */
function statements(statement: Props | undefined): Props[] {
  if (!statement || typeof statement !== "object") return [];
  const nested: Props[] = [
    ...items(statement.andStatement?.statements),
    ...items(statement.orStatement?.statements),
    ...items([statement.notStatement?.statement, statement.rateBasedStatement?.scopeDownStatement]),
  ];
  return [statement, ...nested.flatMap(statements)];
}

function webAclRules(props: Props): Props[] {
  return items(props.rules);
}

export const albWafAssociated = stackRule({
  name: "alb-waf-associated",
  area: "waf",
  severity: "critical",
  types: [...T.loadBalancer, ...T.webAclAssociation],
  description: "Every internet-facing application load balancer has a WAFv2 WebACL association.",
  why: "Without a WebACL the application takes SQL injection, scanners and floods directly.",
  remediationSteps: "Create `aws.wafv2.WebAclAssociation` with `resourceArn: alb.arn` and the WebACL's ARN.",
  check: (resources) => {
    const albs = ofTypes(resources, T.loadBalancer).filter((lb) => isInternetFacingAlb(lb.props));
    const associations = ofTypes(resources, T.webAclAssociation);
    // Under mocks a remote component's outputs are undefined, so `resourceArn: alb.loadBalancer.arn` arrives as
    // nothing and without a dependency: such an association can only target a load balancer derived from a component.
    const unplaced = associations.some((a) => a.dependencies.length === 0 && a.props.resourceArn === undefined);
    return unreferenced(albs.filter((lb) => !(unplaced && lb.component)), associations, (a) => a.props.resourceArn, (lb) => [lb.props.arn])
      .map((lb) => ({ message: `internet-facing load balancer ${lb.name} has no WAFv2 WebACL association${origin(lb)}`, urn: reportedUrn(lb) }));
  },
});

export const wafCommonAndRateRules = resourceRule({
  name: "waf-common-and-rate-rules",
  area: "waf",
  severity: "high",
  types: T.webAcl,
  description: "Regional WebACLs include the AWS managed common rule set and a rate-based rule.",
  why: "The common rule set blocks the OWASP top-10 patterns; a rate-based rule caps what one address can send.",
  remediationSteps: "Add a rule with `managedRuleGroupStatement: { vendorName: \"AWS\", name: \"AWSManagedRulesCommonRuleSet\" }` and one with `rateBasedStatement: { limit, aggregateKeyType: \"IP\" }`, both blocking (not count).",
  check: (props) => {
    const all = webAclRules(props).flatMap((r) => statements(r.statement).map((s) => ({ rule: r, s })));
    const common = all.some(({ rule, s }) => s.managedRuleGroupStatement?.vendorName === "AWS" &&
      s.managedRuleGroupStatement?.name === "AWSManagedRulesCommonRuleSet" && rule.overrideAction?.count === undefined);
    const rate = all.some(({ rule, s }) => s.rateBasedStatement !== undefined && rule.action?.block !== undefined);
    return [
      ...(common ? [] : ["no AWSManagedRulesCommonRuleSet rule (in block mode)"]),
      ...(rate ? [] : ["no blocking rate-based rule"]),
    ];
  },
});

/**
 * The leaves of a statement with their polarity (false under an odd number of `notStatement`s), so
 * `and[admin, not(ipSet)]`, `and[not(ipSet), and[admin]]` and friends read the same.
 */
function leaves(statement: Props | undefined, positive = true): Array<{ s: Props; positive: boolean }> {
  if (!statement || typeof statement !== "object") return [];
  const children = [...items(statement.andStatement?.statements), ...items(statement.orStatement?.statements)];
  if (children.length > 0) return children.flatMap((c) => leaves(c, positive));
  if (statement.notStatement?.statement) return leaves(statement.notStatement.statement, !positive);
  return [{ s: statement, positive }];
}

/** A match on the admin path, whatever the positional constraint (STARTS_WITH, CONTAINS, EXACTLY) or a regex. */
function matchesAdmin(s: Props): boolean {
  return [s.byteMatchStatement?.searchString, s.regexMatchStatement?.regexString].some((v) => text(v).toLowerCase().includes("admin"));
}

/**
 * Whether the rules keep addresses outside an IP set away from the admin path, in either usual form: one
 * blocking rule "admin and not in the IP set", or an allowing rule "admin and in the IP set" evaluated before
 * a blocking rule "admin".
 */
function adminGuarded(rules: readonly Props[]): boolean {
  const parts = rules.map((rule) => {
    const all = leaves(rule.statement);
    const admin = all.some((l) => l.positive && matchesAdmin(l.s));
    const ipSet = all.find((l) => l.s.ipSetReferenceStatement?.arn !== undefined);
    return { priority: num(rule.priority), block: rule.action?.block !== undefined, allow: rule.action?.allow !== undefined, admin, ipSet };
  });
  if (parts.some((p) => p.block && p.admin && p.ipSet?.positive === false)) return true;
  return parts.some((allow) => allow.allow && allow.admin && allow.ipSet?.positive === true &&
    parts.some((block) => block.block && block.admin && block.ipSet === undefined && !(block.priority <= allow.priority)));
}

export const wafAdminAllowList = resourceRule({
  name: "waf-admin-allow-list",
  area: "waf",
  severity: "high",
  environments: ["production"],
  types: T.webAcl,
  description: "In production the WebACL blocks the admin path for every address outside an IP set (the admin allow-list), written as one blocking rule or as an allow rule before a blocking one; statement order, nesting and the match's positional constraint do not matter.",
  why: "The Django admin is the most valuable login page of the application; exposing it to the internet invites credential stuffing.",
  remediationSteps: "Set `adminAllowCidrs` in the stack config; the firewall component then blocks `/admin` unless the source is in that IP set.",
  check: (props) => adminGuarded(webAclRules(props)) ? [] : ["no blocking rule restricts the admin path to an IP set"],
});

import type { PolicyResource } from "@pulumi/policy";
import { isInternetFacingAlb } from "./load-balancing.ts";
import { isSet, items, ofTypes, resourceRule, stackRule, text, unreferenced, type Props } from "./rule.ts";
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
  description: "Every internet-facing application load balancer has a WAFv2 WebACL association.",
  why: "Without a WebACL the application takes SQL injection, scanners and floods directly.",
  remediationSteps: "Create `aws.wafv2.WebAclAssociation` with `resourceArn: alb.arn` and the WebACL's ARN.",
  check: (resources) => {
    const albs = ofTypes(resources, T.loadBalancer).filter((lb: PolicyResource) => isInternetFacingAlb(lb.props));
    return unreferenced(albs, ofTypes(resources, T.webAclAssociation), (a) => a.props.resourceArn, (lb) => [lb.props.arn])
      .map((lb) => ({ message: `internet-facing load balancer ${lb.name} has no WAFv2 WebACL association`, urn: lb.urn }));
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

export const wafAdminAllowList = resourceRule({
  name: "waf-admin-allow-list",
  area: "waf",
  severity: "high",
  environments: ["production"],
  types: T.webAcl,
  description: "In production the WebACL blocks the admin path for every address outside an IP set (the admin allow-list).",
  why: "The Django admin is the most valuable login page of the application; exposing it to the internet invites credential stuffing.",
  remediationSteps: "Set `adminAllowCidrs` in the stack config; the firewall component then blocks `/admin` unless the source is in that IP set.",
  check: (props) => {
    const guarded = webAclRules(props).some((rule) => {
      const all = statements(rule.statement);
      const matchesAdmin = all.some((s) => text(s.byteMatchStatement?.searchString).toLowerCase().includes("admin"));
      const usesIpSet = all.some((s) => isSet(() => s.ipSetReferenceStatement?.arn));
      return rule.action?.block !== undefined && matchesAdmin && usesIpSet;
    });
    return guarded ? [] : ["no blocking rule restricts the admin path to an IP set"];
  },
});

import { items, type Props } from "../../core/inputs.ts";
import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";
import { webAclRules } from "./web-acl-rules.ts";

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

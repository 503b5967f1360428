import { alb, res } from "./resources.ts";
import { ruleCases } from "./rule-cases.ts";

const wafRule = (name: string, statement: Record<string, unknown>, action: Record<string, unknown> = { action: { block: {} } }) => ({ name, statement, ...action });
const goodWaf = () => [
  wafRule("admin", { andStatement: { statements: [
    { byteMatchStatement: { searchString: "/admin", fieldToMatch: { uriPath: {} } } },
    { notStatement: { statement: { ipSetReferenceStatement: { arn: "arn:ipset" } } } },
  ] } }),
  wafRule("common", { managedRuleGroupStatement: { vendorName: "AWS", name: "AWSManagedRulesCommonRuleSet" } }, { overrideAction: { none: {} } }),
  wafRule("rate", { rateBasedStatement: { limit: 1000, aggregateKeyType: "IP" } }),
];
const webAcl = (rules: unknown[]) => res("aws:wafv2/webAcl:WebAcl", "acl", { scope: "REGIONAL", rules });

ruleCases("waf", {
  "alb-waf-associated": {
    compliant: () => [alb(), res("aws:wafv2/webAclAssociation:WebAclAssociation", "assoc", { resourceArn: "arn:lb/app/alb/1", webAclArn: "acl" }), alb({ internal: true })],
    noncompliant: { "no association": () => [alb()], "association with another ALB": () => [alb(), res("aws:wafv2/webAclAssociation:WebAclAssociation", "a", { resourceArn: "arn:other" })] },
  },
  "waf-common-and-rate-rules": {
    compliant: () => [webAcl(goodWaf())],
    noncompliant: {
      "no common rule set": () => [webAcl(goodWaf().filter((r) => r.name !== "common"))],
      "common rule set in count mode": () => [webAcl(goodWaf().map((r) => r.name === "common" ? { ...r, overrideAction: { count: {} } } : r))],
      "no rate rule": () => [webAcl(goodWaf().filter((r) => r.name !== "rate"))],
    },
  },
  "waf-admin-allow-list": {
    compliant: () => [
      webAcl(goodWaf()),
      // The same guard, written other ways: statements swapped and nested, CONTAINS instead of STARTS_WITH.
      webAcl([wafRule("admin", { andStatement: { statements: [
        { notStatement: { statement: { ipSetReferenceStatement: { arn: "arn:ipset" } } } },
        { andStatement: { statements: [{ byteMatchStatement: { searchString: "/ADMIN/", positionalConstraint: "CONTAINS", fieldToMatch: { uriPath: {} } } }] } },
      ] } })]),
      // Allow the IP set on the admin path first, then block the admin path.
      webAcl([
        { ...wafRule("admin-allow", { andStatement: { statements: [{ ipSetReferenceStatement: { arn: "arn:ipset" } }, { byteMatchStatement: { searchString: "/admin" } }] } }, { action: { allow: {} } }), priority: 0 },
        { ...wafRule("admin-block", { byteMatchStatement: { searchString: "/admin", positionalConstraint: "STARTS_WITH" } }), priority: 1 },
      ]),
    ],
    noncompliant: {
      "no admin rule": () => [webAcl(goodWaf().filter((r) => r.name !== "admin"))],
      "admin rule only counts": () => [webAcl(goodWaf().map((r) => r.name === "admin" ? { ...r, action: { count: {} } } : r))],
      "blocks the allow-list instead of everyone else": () => [webAcl([wafRule("admin", { andStatement: { statements: [
        { byteMatchStatement: { searchString: "/admin" } }, { ipSetReferenceStatement: { arn: "arn:ipset" } },
      ] } })])],
      "the block rule runs before the allow rule": () => [webAcl([
        { ...wafRule("admin-allow", { andStatement: { statements: [{ ipSetReferenceStatement: { arn: "arn:ipset" } }, { byteMatchStatement: { searchString: "/admin" } }] } }, { action: { allow: {} } }), priority: 2 },
        { ...wafRule("admin-block", { byteMatchStatement: { searchString: "/admin" } }), priority: 1 },
      ])],
    },
  },
});

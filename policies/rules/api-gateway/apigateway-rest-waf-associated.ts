import { ofTypes, unreferenced } from "../../core/relations.ts";
import { T } from "../../core/resource-types.ts";
import { stackRule } from "../../core/rule.ts";

export const apigatewayRestWafAssociated = stackRule({
  name: "apigateway-rest-waf-associated",
  area: "api-gateway",
  severity: "high",
  types: [...T.restStage, ...T.webAclAssociation],
  subjectType: T.restStage[0],
  description: "Every REST API stage has a WAFv2 WebACL association (HTTP APIs cannot take a WebACL: put CloudFront with a WebACL in front of them).",
  why: "A REST API that fronts Django on Lambda takes SQL injection, scanners and floods directly without a WebACL.",
  remediationSteps: "Create `aws.wafv2.WebAclAssociation` with `resourceArn: stage.arn` and a regional WebACL with the managed common rule set and a rate-based rule.",
  check: (resources) => unreferenced(ofTypes(resources, T.restStage), ofTypes(resources, T.webAclAssociation), (a) => a.props.resourceArn, (s) => [s.props.arn])
    .map((s) => ({ message: `REST API stage ${s.name} has no WAFv2 WebACL association`, urn: s.urn })),
});

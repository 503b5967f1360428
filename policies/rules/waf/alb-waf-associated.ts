import { origin, reportedUrn } from "../../core/awsx.ts";
import { isInternetFacingAlb } from "../../core/load-balancer.ts";
import { ofTypes, unreferenced } from "../../core/relations.ts";
import { T } from "../../core/resource-types.ts";
import { stackRule } from "../../core/rule.ts";

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

import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

export const albDropInvalidHeaders = resourceRule({
  name: "alb-drop-invalid-headers",
  area: "load-balancing",
  severity: "high",
  types: T.loadBalancer,
  description: "Application load balancers drop HTTP headers with invalid names.",
  why: "Malformed headers are the raw material of request smuggling and header-injection attacks against the app behind the ALB.",
  remediationSteps: "Set `dropInvalidHeaderFields: true`.",
  check: (props) => (props.loadBalancerType ?? "application") !== "application" || props.dropInvalidHeaderFields === true
    ? [] : ["dropInvalidHeaderFields is not true"],
});

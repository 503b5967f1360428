import { isSet } from "../../core/inputs.ts";
import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

export const albAccessLogsEnabled = resourceRule({
  name: "alb-access-logs-enabled",
  area: "load-balancing",
  severity: "high",
  types: T.loadBalancer,
  description: "Application load balancers write access logs to S3.",
  why: "Without access logs there is no record of who sent which request when investigating an incident or a 5xx spike.",
  remediationSteps: "Set `accessLogs: { bucket: <log bucket>, enabled: true }` (the bucket policy must allow the ELB log delivery service).",
  check: (props) => props.loadBalancerType === "network" || (props.accessLogs?.enabled === true && isSet(() => props.accessLogs.bucket))
    ? [] : ["access logs are not enabled"],
});

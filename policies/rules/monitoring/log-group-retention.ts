import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

export const logGroupRetention = resourceRule({
  name: "log-group-retention",
  area: "monitoring",
  severity: "medium",
  types: T.logGroup,
  description: "CloudWatch log groups have a retention period.",
  why: "Log groups keep data forever by default: cost grows without bound and personal data outlives its purpose.",
  remediationSteps: "Set `retentionInDays` (config `logRetentionDays`).",
  check: (props) => typeof props.retentionInDays === "number" && props.retentionInDays > 0 ? [] : ["retentionInDays is not set"],
});

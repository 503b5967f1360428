import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

export const dynamodbPointInTimeRecovery = resourceRule({
  name: "dynamodb-point-in-time-recovery",
  area: "dynamodb",
  severity: "high",
  types: T.dynamoTable,
  description: "DynamoDB tables (sessions, caches, idempotency keys) have point-in-time recovery on.",
  why: "A bad deploy or script that overwrites items can only be undone by restoring to a second before it; without PITR there is no such point.",
  remediationSteps: "Set `pointInTimeRecovery: { enabled: true }`.",
  check: (props) => props.pointInTimeRecovery?.enabled === true ? [] : ["pointInTimeRecovery is not enabled"],
});

import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";
import { notPublic } from "./database-settings.ts";

export const rdsInstanceNotPublic = resourceRule({
  name: "rds-instance-not-public",
  area: "database",
  severity: "critical",
  types: T.rdsInstance,
  description: "RDS DB instances are not publicly accessible.",
  why: "A public endpoint lets the whole internet try the database's credentials and exploit its engine's bugs.",
  remediationSteps: "Set `publiclyAccessible: false` and place the instance in isolated subnets (`dbSubnetGroupName`) reached only from the application's security group.",
  check: notPublic,
});

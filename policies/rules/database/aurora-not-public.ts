import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";
import { notPublic } from "./database-settings.ts";

export const auroraNotPublic = resourceRule({
  name: "aurora-not-public",
  area: "database",
  severity: "critical",
  types: T.rdsClusterInstance,
  description: "Aurora instances are not publicly accessible.",
  why: "A public endpoint lets the whole internet try the database's credentials.",
  remediationSteps: "Set `publiclyAccessible: false` and keep the cluster in isolated subnets reached through the RDS Proxy.",
  check: notPublic,
});

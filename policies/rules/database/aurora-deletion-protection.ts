import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";
import { deletionProtected } from "./database-settings.ts";

export const auroraDeletionProtection = resourceRule({
  name: "aurora-deletion-protection",
  area: "database",
  severity: "high",
  types: T.rdsCluster,
  description: "Aurora clusters have deletion protection on.",
  why: "One mistaken `pulumi destroy` or replacement must not delete the database.",
  remediationSteps: "Set `deletionProtection: true` (the production profile does; dev may run without it as an advisory finding).",
  check: deletionProtected,
});

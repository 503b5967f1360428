import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";
import { deletionProtected } from "./database-settings.ts";

export const rdsInstanceDeletionProtection = resourceRule({
  name: "rds-instance-deletion-protection",
  area: "database",
  severity: "high",
  types: T.rdsInstance,
  description: "RDS DB instances have deletion protection on and take a final snapshot when deleted (`skipFinalSnapshot` is not true).",
  why: "A mistaken `pulumi destroy` or a replacement must not delete the database, and if it is deleted on purpose the last state must survive.",
  remediationSteps: "Set `deletionProtection: true`, leave `skipFinalSnapshot` false and set `finalSnapshotIdentifier`.",
  check: (props) => [
    ...deletionProtected(props),
    ...(props.skipFinalSnapshot === true ? ["skipFinalSnapshot is true: deleting the instance keeps no final snapshot"] : []),
  ],
});

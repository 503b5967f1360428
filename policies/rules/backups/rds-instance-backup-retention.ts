import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";
import { MIN_BACKUP_DAYS } from "../../shared/thresholds.ts";
import { retentionProblems } from "./backup-retention.ts";

export const rdsInstanceBackupRetention = resourceRule({
  name: "rds-instance-backup-retention",
  area: "backups",
  severity: "high",
  types: T.rdsInstance,
  description: `RDS DB instances keep automated backups for at least ${MIN_BACKUP_DAYS.dev} days (${MIN_BACKUP_DAYS.production} in production); read replicas are exempt.`,
  why: "Data corruption is often noticed days later; a short window, or none (0 days), leaves no clean point to restore to.",
  remediationSteps: "Set `backupRetentionPeriod` to at least the minimum for the environment.",
  // A read replica's backups are its source's.
  check: (props, ctx) => typeof props.replicateSourceDb === "string" && props.replicateSourceDb !== "" ? [] : retentionProblems(props, ctx.environment),
});

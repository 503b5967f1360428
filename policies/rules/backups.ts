import { resourceRule, type Environment, type Props } from "./rule.ts";
import { T } from "./types.ts";

import { MIN_BACKUP_DAYS } from "../shared/thresholds.ts";

function retentionProblems(props: Props, environment: Environment): string[] {
  // The RDS API's default when the input is absent is one day.
  const days = typeof props.backupRetentionPeriod === "number" ? props.backupRetentionPeriod : 1;
  const min = MIN_BACKUP_DAYS[environment];
  return days >= min ? [] : [`backups are kept ${days} day(s); ${environment} needs at least ${min}`];
}

export const auroraBackupRetention = resourceRule({
  name: "aurora-backup-retention",
  area: "backups",
  severity: "high",
  types: T.rdsCluster,
  description: `Aurora keeps automated backups for at least ${MIN_BACKUP_DAYS.dev} days (${MIN_BACKUP_DAYS.production} in production).`,
  why: "Data corruption is often noticed days later; a short window leaves no clean point to restore to.",
  remediationSteps: "Set `backupRetentionPeriod` (config `database.backupRetentionDays`) to at least the minimum for the environment.",
  check: (props, ctx) => retentionProblems(props, ctx.environment),
});

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

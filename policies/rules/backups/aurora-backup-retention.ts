import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";
import { MIN_BACKUP_DAYS } from "../../shared/thresholds.ts";
import { retentionProblems } from "./backup-retention.ts";

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

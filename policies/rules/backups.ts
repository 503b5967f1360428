import { resourceRule } from "./rule.ts";
import { T } from "./types.ts";

/** Days of point-in-time recovery: a week everywhere, two weeks in production. */
export const MIN_BACKUP_DAYS = { dev: 7, staging: 7, production: 14 } as const;

export const auroraBackupRetention = resourceRule({
  name: "aurora-backup-retention",
  area: "backups",
  severity: "high",
  types: T.rdsCluster,
  description: `Aurora keeps automated backups for at least ${MIN_BACKUP_DAYS.dev} days (${MIN_BACKUP_DAYS.production} in production).`,
  why: "Data corruption is often noticed days later; a short window leaves no clean point to restore to.",
  remediationSteps: "Set `backupRetentionPeriod` (config `database.backupRetentionDays`) to at least the minimum for the environment.",
  check: (props, ctx) => {
    // AWS's default when the input is absent is one day.
    const days = typeof props.backupRetentionPeriod === "number" ? props.backupRetentionPeriod : 1;
    const min = MIN_BACKUP_DAYS[ctx.environment];
    return days >= min ? [] : [`backups are kept ${days} day(s); ${ctx.environment} needs at least ${min}`];
  },
});

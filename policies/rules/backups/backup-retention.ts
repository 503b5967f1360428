import type { Props } from "../../core/inputs.ts";
import type { Environment } from "../../core/rule.ts";
import { MIN_BACKUP_DAYS } from "../../shared/thresholds.ts";

export function retentionProblems(props: Props, environment: Environment): string[] {
  // The RDS API's default when the input is absent is one day.
  const days = typeof props.backupRetentionPeriod === "number" ? props.backupRetentionPeriod : 1;
  const min = MIN_BACKUP_DAYS[environment];
  return days >= min ? [] : [`backups are kept ${days} day(s); ${environment} needs at least ${min}`];
}

import type { Props } from "../../core/inputs.ts";
import type { Environment } from "../../core/rule.ts";

/** Days of point-in-time recovery: a week everywhere, two weeks in production. */
export const MIN_BACKUP_DAYS = { dev: 7, staging: 7, production: 14 } as const;

export function retentionProblems(props: Props, environment: Environment): string[] {
  // The RDS API's default when the input is absent is one day.
  const days = typeof props.backupRetentionPeriod === "number" ? props.backupRetentionPeriod : 1;
  const min = MIN_BACKUP_DAYS[environment];
  return days >= min ? [] : [`backups are kept ${days} day(s); ${environment} needs at least ${min}`];
}

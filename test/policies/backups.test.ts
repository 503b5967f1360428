import { rdsInstance, res } from "./resources.ts";
import { ruleCases } from "./rule-cases.ts";

ruleCases("backups", {
  "aurora-backup-retention": {
    compliant: () => [res("aws:rds/cluster:Cluster", "db", { backupRetentionPeriod: 14 })],
    noncompliant: { "7 days in production": () => [res("aws:rds/cluster:Cluster", "db", { backupRetentionPeriod: 7 })], "AWS default (1 day)": () => [res("aws:rds/cluster:Cluster", "db", {})] },
  },
  "rds-instance-backup-retention": {
    compliant: () => [rdsInstance(), rdsInstance({ backupRetentionPeriod: 0, replicateSourceDb: "arn:aws:rds:us-east-1:1:db:primary" })],
    noncompliant: { "backups off": () => [rdsInstance({ backupRetentionPeriod: 0 })], "AWS default (1 day)": () => [rdsInstance({ backupRetentionPeriod: undefined })] },
  },
});

import { rdsInstance, res } from "./resources.ts";
import { ruleCases } from "./rule-cases.ts";

ruleCases("database", {
  "aurora-encrypted": {
    compliant: () => [res("aws:rds/cluster:Cluster", "db", { storageEncrypted: true })],
    noncompliant: { "unencrypted": () => [res("aws:rds/cluster:Cluster", "db", {})] },
  },
  "aurora-not-public": {
    compliant: () => [res("aws:rds/clusterInstance:ClusterInstance", "db-1", { publiclyAccessible: false })],
    noncompliant: { "public": () => [res("aws:rds/clusterInstance:ClusterInstance", "db-1", { publiclyAccessible: true })] },
  },
  "aurora-deletion-protection": {
    compliant: () => [res("aws:rds/cluster:Cluster", "db", { deletionProtection: true })],
    noncompliant: { "off": () => [res("aws:rds/cluster:Cluster", "db", { deletionProtection: false })] },
  },
  "rds-instance-encrypted": {
    compliant: () => [rdsInstance()],
    noncompliant: { "unencrypted (the API default)": () => [rdsInstance({ storageEncrypted: undefined })] },
  },
  "rds-instance-not-public": {
    compliant: () => [rdsInstance()],
    noncompliant: { "public": () => [rdsInstance({ publiclyAccessible: true })] },
  },
  "rds-instance-deletion-protection": {
    compliant: () => [rdsInstance()],
    noncompliant: { "no deletion protection": () => [rdsInstance({ deletionProtection: false })], "skips the final snapshot": () => [rdsInstance({ skipFinalSnapshot: true })] },
  },
  "rds-instance-multi-az": {
    compliant: () => [rdsInstance()],
    noncompliant: { "single AZ": () => [rdsInstance({ multiAz: false })] },
  },
});

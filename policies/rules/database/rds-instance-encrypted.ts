import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";
import { storageEncrypted } from "./database-settings.ts";

export const rdsInstanceEncrypted = resourceRule({
  name: "rds-instance-encrypted",
  area: "database",
  severity: "critical",
  types: T.rdsInstance,
  description: "RDS DB instances (PostgreSQL, MySQL, ... outside Aurora) encrypt their storage, and so their snapshots.",
  why: "An unencrypted instance exposes every row to anyone who can copy or share a snapshot; encryption cannot be switched on later without a snapshot restore.",
  remediationSteps: "Set `storageEncrypted: true` and `kmsKeyId` to the platform's customer-managed key (an existing instance needs a snapshot copy with encryption and a restore).",
  check: storageEncrypted,
});

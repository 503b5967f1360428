import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";
import { storageEncrypted } from "./database-settings.ts";

export const auroraEncrypted = resourceRule({
  name: "aurora-encrypted",
  area: "database",
  severity: "critical",
  types: T.rdsCluster,
  description: "Aurora clusters encrypt their storage (and so their snapshots).",
  why: "Unencrypted storage and snapshots expose every row to anyone who can copy a snapshot; encryption cannot be added later without a restore.",
  remediationSteps: "Set `storageEncrypted: true` and `kmsKeyId` to the platform's customer-managed key (requires a snapshot restore for an existing cluster).",
  check: storageEncrypted,
});

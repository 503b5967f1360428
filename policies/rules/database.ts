import { resourceRule } from "./rule.ts";
import { T } from "./types.ts";

export const auroraEncrypted = resourceRule({
  name: "aurora-encrypted",
  area: "database",
  severity: "critical",
  types: T.rdsCluster,
  description: "Aurora clusters encrypt their storage (and so their snapshots).",
  why: "Unencrypted storage and snapshots expose every row to anyone who can copy a snapshot; encryption cannot be added later without a restore.",
  remediationSteps: "Set `storageEncrypted: true` and `kmsKeyId` to the platform's customer-managed key (requires a snapshot restore for an existing cluster).",
  check: (props) => props.storageEncrypted === true ? [] : ["storageEncrypted is not true"],
});

export const auroraNotPublic = resourceRule({
  name: "aurora-not-public",
  area: "database",
  severity: "critical",
  types: T.rdsClusterInstance,
  description: "Aurora instances are not publicly accessible.",
  why: "A public endpoint lets the whole internet try the database's credentials.",
  remediationSteps: "Set `publiclyAccessible: false` and keep the cluster in isolated subnets reached through the RDS Proxy.",
  check: (props) => props.publiclyAccessible === true ? ["publiclyAccessible is true"] : [],
});

export const auroraDeletionProtection = resourceRule({
  name: "aurora-deletion-protection",
  area: "database",
  severity: "high",
  types: T.rdsCluster,
  description: "Aurora clusters have deletion protection on.",
  why: "One mistaken `pulumi destroy` or replacement must not delete the database.",
  remediationSteps: "Set `deletionProtection: true` (the production profile does; dev may run without it as an advisory finding).",
  check: (props) => props.deletionProtection === true ? [] : ["deletionProtection is not true"],
});

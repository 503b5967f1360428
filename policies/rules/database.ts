import { resourceRule, type Props } from "./rule.ts";
import { T } from "./types.ts";

/** The same settings mean the same on an Aurora cluster/instance and on an RDS DB instance. */
const storageEncrypted = (props: Props) => props.storageEncrypted === true ? [] : ["storageEncrypted is not true"];
const notPublic = (props: Props) => props.publiclyAccessible === true ? ["publiclyAccessible is true"] : [];
const deletionProtected = (props: Props) => props.deletionProtection === true ? [] : ["deletionProtection is not true"];

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

export const auroraNotPublic = resourceRule({
  name: "aurora-not-public",
  area: "database",
  severity: "critical",
  types: T.rdsClusterInstance,
  description: "Aurora instances are not publicly accessible.",
  why: "A public endpoint lets the whole internet try the database's credentials.",
  remediationSteps: "Set `publiclyAccessible: false` and keep the cluster in isolated subnets reached through the RDS Proxy.",
  check: notPublic,
});

export const auroraDeletionProtection = resourceRule({
  name: "aurora-deletion-protection",
  area: "database",
  severity: "high",
  types: T.rdsCluster,
  description: "Aurora clusters have deletion protection on.",
  why: "One mistaken `pulumi destroy` or replacement must not delete the database.",
  remediationSteps: "Set `deletionProtection: true` (the production profile does; dev may run without it as an advisory finding).",
  check: deletionProtected,
});

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

export const rdsInstanceNotPublic = resourceRule({
  name: "rds-instance-not-public",
  area: "database",
  severity: "critical",
  types: T.rdsInstance,
  description: "RDS DB instances are not publicly accessible.",
  why: "A public endpoint lets the whole internet try the database's credentials and exploit its engine's bugs.",
  remediationSteps: "Set `publiclyAccessible: false` and place the instance in isolated subnets (`dbSubnetGroupName`) reached only from the application's security group.",
  check: notPublic,
});

export const rdsInstanceDeletionProtection = resourceRule({
  name: "rds-instance-deletion-protection",
  area: "database",
  severity: "high",
  types: T.rdsInstance,
  description: "RDS DB instances have deletion protection on and take a final snapshot when deleted (`skipFinalSnapshot` is not true).",
  why: "A mistaken `pulumi destroy` or a replacement must not delete the database, and if it is deleted on purpose the last state must survive.",
  remediationSteps: "Set `deletionProtection: true`, leave `skipFinalSnapshot` false and set `finalSnapshotIdentifier`.",
  check: (props) => [
    ...deletionProtected(props),
    ...(props.skipFinalSnapshot === true ? ["skipFinalSnapshot is true: deleting the instance keeps no final snapshot"] : []),
  ],
});

export const rdsInstanceMultiAz = resourceRule({
  name: "rds-instance-multi-az",
  area: "database",
  severity: "high",
  environments: ["production"],
  types: T.rdsInstance,
  description: "Production RDS DB instances are Multi-AZ (a synchronous standby in another availability zone).",
  why: "A single-AZ instance is down for the whole of an AZ outage or a host failure, and every maintenance reboot is an outage.",
  remediationSteps: "Set `multiAz: true` (a Multi-AZ DB cluster or Aurora also satisfies the need).",
  check: (props) => props.multiAz === true ? [] : ["multiAz is not true"],
});

import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

export const elasticacheEncrypted = resourceRule({
  name: "elasticache-encrypted",
  area: "cache",
  severity: "critical",
  types: T.replicationGroup,
  description: "ElastiCache replication groups encrypt in transit and at rest.",
  why: "Sessions and cached pages in the cache are as sensitive as the database; cleartext Redis can be sniffed inside the VPC.",
  remediationSteps: "Set `transitEncryptionEnabled: true` and `atRestEncryptionEnabled: true` (both force a replacement on an existing group).",
  check: (props) => [
    ...(props.transitEncryptionEnabled === true ? [] : ["transitEncryptionEnabled is not true"]),
    ...(props.atRestEncryptionEnabled === true || props.atRestEncryptionEnabled === "true" ? [] : ["atRestEncryptionEnabled is not true"]),
  ],
});

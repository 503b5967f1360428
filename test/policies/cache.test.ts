import { res } from "./resources.ts";
import { ruleCases } from "./rule-cases.ts";

ruleCases("cache", {
  "elasticache-encrypted": {
    compliant: () => [res("aws:elasticache/replicationGroup:ReplicationGroup", "c", { transitEncryptionEnabled: true, atRestEncryptionEnabled: true })],
    noncompliant: { "no transit": () => [res("aws:elasticache/replicationGroup:ReplicationGroup", "c", { atRestEncryptionEnabled: true })], "no at-rest": () => [res("aws:elasticache/replicationGroup:ReplicationGroup", "c", { transitEncryptionEnabled: true, atRestEncryptionEnabled: "false" })] },
  },
});

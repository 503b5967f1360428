import { res } from "./resources.ts";
import { ruleCases } from "./rule-cases.ts";

const table = (inputs: Record<string, unknown> = {}) => res("aws:dynamodb/table:Table", "sessions", { pointInTimeRecovery: { enabled: true }, serverSideEncryption: { enabled: true }, ...inputs });

ruleCases("dynamodb", {
  "dynamodb-point-in-time-recovery": {
    compliant: () => [table()],
    noncompliant: { "no PITR": () => [table({ pointInTimeRecovery: undefined })] },
  },
  "dynamodb-kms-encryption": {
    compliant: () => [table()],
    noncompliant: { "AWS-owned key": () => [table({ serverSideEncryption: undefined })] },
  },
});

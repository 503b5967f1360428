import { isSet } from "../../core/inputs.ts";
import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

export const secretUsesKmsKey = resourceRule({
  name: "secret-uses-kms-key",
  area: "secrets",
  severity: "high",
  types: T.secret,
  description: "Secrets Manager secrets are encrypted with a customer-managed KMS key.",
  why: "With the AWS-managed key, anyone allowed `secretsmanager:GetSecretValue` can read; a customer key adds a second, auditable permission.",
  remediationSteps: "Set `kmsKeyId` to the platform's KMS key ARN.",
  check: (props) => isSet(() => props.kmsKeyId) ? [] : ["kmsKeyId is not set"],
});

import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

export const dynamodbKmsEncryption = resourceRule({
  name: "dynamodb-kms-encryption",
  area: "dynamodb",
  severity: "medium",
  types: T.dynamoTable,
  description: "DynamoDB tables encrypt with a KMS key (`serverSideEncryption.enabled`, ideally the platform's customer-managed key). Advisory: a table without it is still encrypted at rest, with an AWS-owned key, which no key policy or CloudTrail record covers.",
  why: "DynamoDB always encrypts; the choice is who controls the key. With a KMS key, reading the table also needs `kms:Decrypt`, which is logged and can be revoked.",
  remediationSteps: "Set `serverSideEncryption: { enabled: true, kmsKeyArn: <platform key ARN> }` (without `kmsKeyArn` the AWS-managed key `aws/dynamodb` is used).",
  check: (props) => props.serverSideEncryption?.enabled === true
    ? [] : ["serverSideEncryption is not enabled: the table uses an AWS-owned key"],
});

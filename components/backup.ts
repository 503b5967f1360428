import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { serviceTrustPolicy } from "./iam.ts";

/** Daily at 05:00 UTC, after the night's low-traffic hours in Europe and the Americas. */
export const BACKUP_SCHEDULE = "cron(0 5 ? * * *)";

/** AWS managed policies the AWS Backup service role needs for Aurora (the service policy) and S3. */
const BACKUP_ROLE_POLICIES = [
  "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
  "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
  "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
  "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
];

export interface BackupArgs {
  /** Encrypts the recovery points. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Days each daily recovery point is kept. */
  readonly retentionDays: number;
  /** What is backed up: the Aurora cluster and the media bucket. */
  readonly resourceArns: readonly pulumi.Input<string>[];
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * An AWS Backup vault (KMS-encrypted), a daily plan, and a selection of the database cluster and media
 * bucket: recovery points outside the resources themselves, so deleting a resource does not delete them.
 */
export class Backup extends pulumi.ComponentResource {
  readonly vaultName: pulumi.Output<string>;
  readonly planId: pulumi.Output<string>;

  constructor(name: string, args: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("readiness:app:Backup", name, {}, opts);
    const parent = { parent: this };

    const vault = new aws.backup.Vault(`${name}-vault`, { kmsKeyArn: args.kmsKeyArn, tags: args.tags }, parent);
    this.vaultName = vault.name;
    const plan = new aws.backup.Plan(`${name}-plan`, {
      rules: [{
        ruleName: "daily",
        targetVaultName: vault.name,
        schedule: BACKUP_SCHEDULE,
        startWindow: 60,
        completionWindow: 360,
        lifecycle: { deleteAfter: args.retentionDays },
      }],
      tags: args.tags,
    }, parent);
    this.planId = plan.id;

    const role = new aws.iam.Role(`${name}-role`, { assumeRolePolicy: serviceTrustPolicy("backup.amazonaws.com"), tags: args.tags }, parent);
    const attachments = BACKUP_ROLE_POLICIES.map((policyArn, i) =>
      new aws.iam.RolePolicyAttachment(`${name}-role-policy-${i + 1}`, { role: role.name, policyArn }, parent));
    new aws.backup.Selection(`${name}-selection`, {
      planId: plan.id, iamRoleArn: role.arn, resources: [...args.resourceArns],
    }, { parent: this, dependsOn: attachments });

    this.registerOutputs({ vaultName: this.vaultName, planId: this.planId });
  }
}

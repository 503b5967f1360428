import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** Django wants a long, unpredictable key; 64 characters keeps well above its 50-character check. */
export const SECRET_KEY_LENGTH = 64;

export interface SecretsArgs {
  /** Prefix of every Secrets Manager name, e.g. `readiness/production`. */
  readonly namePrefix: string;
  /** Third-party credentials by environment variable name; plaintext here, wrapped as secrets at once. */
  readonly thirdPartySecrets: Readonly<Record<string, string>>;
  /** Days a deleted secret can be restored; 0 deletes at once (dev), 7-30 otherwise. */
  readonly recoveryWindowDays: number;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The platform's customer-managed KMS key and the application's secrets in Secrets Manager.
 * Outputs are ARNs only: consumers read values at run time (ECS `secrets`), never from the stack.
 */
export class Secrets extends pulumi.ComponentResource {
  readonly kmsKeyArn: pulumi.Output<string>;
  readonly kmsKeyId: pulumi.Output<string>;
  readonly kmsAliasName: pulumi.Output<string>;
  /** Django `SECRET_KEY`. */
  readonly secretKeyArn: pulumi.Output<string>;
  /** One secret per `thirdPartySecrets` entry, keyed by its environment variable name. */
  readonly thirdPartySecretArns: Readonly<Record<string, pulumi.Output<string>>>;

  constructor(name: string, args: SecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("readiness:data:Secrets", name, {}, opts);
    const parent = { parent: this };

    const identity = aws.getCallerIdentityOutput({}, parent);
    const region = aws.getRegionOutput({}, parent);
    const key = new aws.kms.Key(`${name}-key`, {
      description: `Encrypts ${args.namePrefix}: secrets, database, cache, logs`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: pulumi.all([identity.accountId, region.region]).apply(([account, regionName]) => keyPolicy(account, regionName)),
      tags: args.tags,
    }, parent);
    this.kmsKeyArn = key.arn;
    this.kmsKeyId = key.keyId;
    const alias = new aws.kms.Alias(`${name}-key-alias`, {
      name: `alias/${args.namePrefix.replace(/\//g, "-")}`, targetKeyId: key.keyId,
    }, parent);
    this.kmsAliasName = alias.name;

    const store = (suffix: string, secretName: string, description: string, value: pulumi.Input<string>) => storeSecret(`${name}-${suffix}`, {
      name: `${args.namePrefix}/${secretName}`, description, value, kmsKeyArn: key.arn,
      recoveryWindowDays: args.recoveryWindowDays, tags: args.tags,
    }, this);
    const secretKey = new random.RandomPassword(`${name}-django-secret-key`, { length: SECRET_KEY_LENGTH, special: true, overrideSpecial: "!#%&*()-_=+[]{}<>:?" }, parent);
    this.secretKeyArn = store("django-secret-key", "DJANGO_SECRET_KEY", "Django SECRET_KEY", secretKey.result);

    this.thirdPartySecretArns = Object.fromEntries(Object.entries(args.thirdPartySecrets).map(([envName, value]) =>
      [envName, store(envName.toLowerCase().replace(/_/g, "-"), envName, `Third-party credential ${envName}`, pulumi.secret(value))]));

    this.registerOutputs({ kmsKeyArn: this.kmsKeyArn, secretKeyArn: this.secretKeyArn, thirdPartySecretArns: this.thirdPartySecretArns });
  }
}

export interface StoredSecretArgs {
  /** The Secrets Manager name, e.g. `readiness/production/DJANGO_SECRET_KEY`. */
  readonly name: string;
  readonly description: string;
  /** Wrapped with `pulumi.secret` here, whatever the caller passed. */
  readonly value: pulumi.Input<string>;
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly recoveryWindowDays: number;
  readonly tags: Readonly<Record<string, string>>;
}

/** A Secrets Manager secret and its value, encrypted with the platform key; returns the ARN only. */
export function storeSecret(resourceName: string, args: StoredSecretArgs, parent: pulumi.Resource): pulumi.Output<string> {
  const secret = new aws.secretsmanager.Secret(resourceName, {
    name: args.name, description: args.description, kmsKeyId: args.kmsKeyArn,
    recoveryWindowInDays: args.recoveryWindowDays, tags: args.tags,
  }, { parent });
  new aws.secretsmanager.SecretVersion(`${resourceName}-value`, { secretId: secret.id, secretString: pulumi.secret(args.value) }, { parent });
  return secret.arn;
}

/**
 * The account administers the key (so it can never become unmanageable); CloudWatch Logs in this
 * region may use it for this account's log groups. Other services (Secrets Manager, RDS, ElastiCache)
 * use it through grants they create on the caller's behalf.
 */
export function keyPolicy(account: string, region: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "AccountAdministers", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" },
      {
        Sid: "CloudWatchLogsEncrypts", Effect: "Allow", Principal: { Service: `logs.${region}.amazonaws.com` },
        Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"], Resource: "*",
        Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${region}:${account}:log-group:*` } },
      },
    ],
  });
}

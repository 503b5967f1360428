import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PlatformConfig } from "../config/platform-config.ts";
import { storeSecret } from "./secrets.ts";

export const CACHE_PORT = 6379;

export interface CacheArgs {
  readonly cache: PlatformConfig["cache"];
  readonly privateSubnetIds: pulumi.Input<string>[];
  /** AZs the nodes are spread over, in order (node `i` goes to AZ `i mod n`). */
  readonly availabilityZones: pulumi.Input<string[]>;
  readonly securityGroupId: pulumi.Input<string>;
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Where the auth token is stored, e.g. `readiness/production/CACHE_AUTH_TOKEN`. */
  readonly authTokenSecretName: string;
  readonly secretRecoveryWindowDays: number;
  readonly logRetentionDays: number;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * A Valkey (or Redis OSS) replication group in the private subnets: TLS required, at-rest encryption
 * with the platform key, an auth token kept in Secrets Manager, and with any replica, automatic
 * failover across AZs.
 */
export class Cache extends pulumi.ComponentResource {
  readonly replicationGroupId: pulumi.Output<string>;
  readonly primaryEndpoint: pulumi.Output<string>;
  readonly readerEndpoint: pulumi.Output<string>;
  readonly port: number = CACHE_PORT;
  /** The auth token's secret (ARN only); the token itself never leaves Secrets Manager and state. */
  readonly authTokenSecretArn: pulumi.Output<string>;

  constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("readiness:data:Cache", name, {}, opts);
    const parent = { parent: this };
    const { engine, engineVersion, nodeType, replicas } = args.cache;
    const highlyAvailable = replicas >= 1;
    const nodeCount = 1 + replicas;

    // ElastiCache tokens allow printable ASCII except @, " and /; letters and digits avoid all three.
    const token = new random.RandomPassword(`${name}-auth-token`, { length: 64, special: false }, parent);
    this.authTokenSecretArn = storeSecret(`${name}-auth-token`, {
      name: args.authTokenSecretName, description: "ElastiCache AUTH token", value: token.result,
      kmsKeyArn: args.kmsKeyArn, recoveryWindowDays: args.secretRecoveryWindowDays, tags: args.tags,
    }, this);

    const subnetGroup = new aws.elasticache.SubnetGroup(`${name}-subnets`, {
      description: "Private subnets", subnetIds: args.privateSubnetIds, tags: args.tags,
    }, parent);
    const slowLog = new aws.cloudwatch.LogGroup(`${name}-slow-log`, {
      retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn, tags: args.tags,
    }, parent);
    const azs = pulumi.output(args.availabilityZones);

    const group = new aws.elasticache.ReplicationGroup(`${name}-group`, {
      description: `${engine} for sessions, cache and task queues`,
      engine, engineVersion, nodeType, port: CACHE_PORT,
      numCacheClusters: nodeCount,
      preferredCacheClusterAzs: azs.apply((names) => Array.from({ length: nodeCount }, (_, i) => names[i % names.length])),
      automaticFailoverEnabled: highlyAvailable, multiAzEnabled: highlyAvailable,
      subnetGroupName: subnetGroup.name, securityGroupIds: [args.securityGroupId],
      atRestEncryptionEnabled: true, kmsKeyId: args.kmsKeyArn,
      transitEncryptionEnabled: true, transitEncryptionMode: "required",
      authToken: token.result, authTokenUpdateStrategy: "ROTATE",
      autoMinorVersionUpgrade: true,
      // Environments that pay for replicas keep a week of snapshots; a single-node (dev) cache is disposable.
      snapshotRetentionLimit: highlyAvailable ? 7 : 0,
      logDeliveryConfigurations: [{ destination: slowLog.name, destinationType: "cloudwatch-logs", logFormat: "json", logType: "slow-log" }],
      tags: args.tags,
    }, parent);
    this.replicationGroupId = group.id;
    this.primaryEndpoint = group.primaryEndpointAddress;
    this.readerEndpoint = group.readerEndpointAddress;

    this.registerOutputs({ primaryEndpoint: this.primaryEndpoint, readerEndpoint: this.readerEndpoint, authTokenSecretArn: this.authTokenSecretArn });
  }
}

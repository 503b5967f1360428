import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config/platform-config.ts";
import { rolloutEnvironment } from "../config/stack-identity.ts";
import type { StackOutputs } from "../contracts/rollout-outputs.ts";
import { Backup } from "./backup.ts";
import { Events } from "./events.ts";
import { Firewall } from "./firewall.ts";
import { Monitoring } from "./monitoring.ts";
import { RolloutWatchdog } from "./rollout-watchdog.ts";
import { Storage } from "./storage.ts";
import {
  AppRoles, CANARY_HEADER_NAME, CANARY_HEADER_VALUE, secretArnsToRead, WEB_CONTAINER_NAME, WebService,
  type AppBackends, type AppSecretArns, type DataBackends,
} from "./web-service.ts";
import { Worker } from "./worker.ts";

/** What the application tier needs from the network, secrets, database and cache. */
export interface DataTierRefs extends AppSecretArns {
  /** The database and cache as the application reaches them. */
  readonly backends: DataBackends;
  readonly vpcId: pulumi.Input<string>;
  readonly publicSubnetIds: readonly pulumi.Input<string>[];
  readonly privateSubnetIds: readonly pulumi.Input<string>[];
  readonly albSecurityGroupId: pulumi.Input<string>;
  readonly appSecurityGroupId: pulumi.Input<string>;
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly dbClusterIdentifier: pulumi.Input<string>;
  readonly dbClusterArn: pulumi.Input<string>;
}

/**
 * The stack outputs the rollout reads, as the program builds them: each output of the one contract
 * (contracts/rollout-outputs.ts), as a value or an Output of the type the rollout validates.
 */
export type RolloutOutputs = { readonly [K in keyof StackOutputs]: pulumi.Input<StackOutputs[K]> };

/** Concurrent outbox publishers at most: enough to drain a backlog, few enough to spare the account's pool. */
const OUTBOX_PUBLISHER_CONCURRENCY = 5;
/** Days replaced or deleted object versions stay restorable. */
const NONCURRENT_VERSION_DAYS = 30;

export interface ApplicationTierArgs {
  readonly config: PlatformConfig;
  readonly data: DataTierRefs;
}

/**
 * Everything that serves users on top of the data tier: storage, the event outbox, the web service
 * behind its WAF, the worker, monitoring and (when `backup.enabled`) AWS Backup.
 */
export class ApplicationTier extends pulumi.ComponentResource {
  readonly storage: Storage;
  readonly events: Events;
  readonly web: WebService;
  readonly worker: Worker;
  readonly firewall: Firewall;
  readonly monitoring: Monitoring;
  readonly rolloutWatchdog: RolloutWatchdog;
  readonly backup?: Backup;
  readonly outputs: RolloutOutputs;

  constructor(name: string, args: ApplicationTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("readiness:app:ApplicationTier", name, {}, opts);
    const parent = { parent: this };
    const { config, data } = args;
    const { tags } = config;
    const production = config.environment === "production";
    const namePrefix = `${config.project}-${config.stack}`;

    this.storage = new Storage("storage", {
      kmsKeyArn: data.kmsKeyArn, corsOrigins: config.corsOrigins, logRetentionDays: config.logRetentionDays,
      noncurrentVersionDays: NONCURRENT_VERSION_DAYS, retainOnDelete: production, tags,
    }, parent);
    this.events = new Events("events", {
      kmsKeyArn: data.kmsKeyArn, logRetentionDays: config.logRetentionDays, eventSource: `${config.project}.${config.stack}`,
      reservedConcurrency: OUTBOX_PUBLISHER_CONCURRENCY, tags,
    }, parent);

    const logGroup = (suffix: string) => new aws.cloudwatch.LogGroup(`${name}-${suffix}-logs`, {
      retentionInDays: config.logRetentionDays, kmsKeyId: data.kmsKeyArn, tags,
    }, parent);
    const webLogs = logGroup("web");
    const workerLogs = logGroup("worker");

    const backends: AppBackends = {
      ...data.backends,
      mediaBucketName: this.storage.mediaBucketName, mediaBucketArn: this.storage.mediaBucketArn,
      outboxQueueUrl: this.events.outboxQueueUrl, outboxQueueArn: this.events.outboxQueueArn,
    };
    const secrets: AppSecretArns = data;
    const roles = new AppRoles("app-roles", {
      images: [config.web.image, config.web.canaryImage],
      logGroupArns: [webLogs.arn, workerLogs.arn],
      secretArns: secretArnsToRead(secrets, backends),
      kmsKeyArn: data.kmsKeyArn, mediaBucketArn: this.storage.mediaBucketArn, outboxQueueArn: this.events.outboxQueueArn, tags,
    }, parent);
    const settings = {
      app: config.app, allowedHosts: config.allowedHosts, corsOrigins: config.corsOrigins,
      csrfTrustedOrigins: config.csrfTrustedOrigins, region: config.region,
    };
    const roleArns = { executionRoleArn: roles.executionRoleArn, taskRoleArn: roles.taskRoleArn };

    this.web = new WebService("web", {
      vpcId: data.vpcId, publicSubnetIds: data.publicSubnetIds, privateSubnetIds: data.privateSubnetIds,
      albSecurityGroupId: data.albSecurityGroupId, appSecurityGroupId: data.appSecurityGroupId,
      domain: config.domain, identity: config, web: config.web, settings, backends, secrets, roles: roleArns,
      logGroupName: webLogs.name, accessLogBucketName: this.storage.albLogBucketName, production, tags,
    }, parent);
    this.worker = new Worker("worker", {
      clusterArn: this.web.clusterArn, clusterName: this.web.clusterName, identity: config,
      privateSubnetIds: data.privateSubnetIds, appSecurityGroupId: data.appSecurityGroupId,
      worker: config.worker, image: config.web.image, settings, backends, secrets, roles: roleArns,
      logGroupName: workerLogs.name, tags,
    }, parent);
    this.firewall = new Firewall("waf", {
      loadBalancerArn: this.web.loadBalancerArn, adminAllowCidrs: config.adminAllowCidrs, rateLimit: config.waf.rateLimit,
      logRetentionDays: config.logRetentionDays, kmsKeyArn: data.kmsKeyArn, tags,
    }, parent);
    this.monitoring = new Monitoring("monitoring", {
      namePrefix, region: config.region, alarmEmail: config.alarmEmail,
      loadBalancerFullName: this.web.loadBalancerFullName,
      targetGroups: { stable: this.web.stableTargetGroupFullName, canary: this.web.canaryTargetGroupFullName },
      clusterName: this.web.clusterName,
      serviceNames: [this.web.stableServiceName, this.web.canaryServiceName, this.worker.serviceName],
      dbClusterIdentifier: data.dbClusterIdentifier, dbMaxCapacityAcu: config.database.maxCapacity,
      webAclName: this.firewall.webAclName, lambdaFunctionNames: [this.events.publisherFunctionName],
      deadLetterQueueName: this.events.deadLetterQueueName, tags,
    }, parent);
    this.rolloutWatchdog = new RolloutWatchdog("rollout-watchdog", {
      // The key the rollout CLI keeps this stack's state under when `--env` is not given.
      namePrefix, environment: rolloutEnvironment(undefined, config.stack),
      listenerArn: this.web.httpsListenerArn, stableTargetGroupArn: this.web.stableTargetGroupArn, canaryTargetGroupArn: this.web.canaryTargetGroupArn,
      loadBalancerFullName: this.web.loadBalancerFullName, canaryTargetGroupFullName: this.web.canaryTargetGroupFullName,
      stateBucketName: this.storage.rolloutStateBucketName, stateBucketArn: this.storage.rolloutStateBucketArn, kmsKeyArn: data.kmsKeyArn,
      topicArn: this.monitoring.alarmTopicArn, topicKmsKeyArn: this.monitoring.alarmTopicKeyArn, logRetentionDays: config.logRetentionDays, tags,
    }, parent);
    if (config.backup.enabled) {
      this.backup = new Backup("backup", {
        kmsKeyArn: data.kmsKeyArn, retentionDays: config.backup.retentionDays,
        resourceArns: [data.dbClusterArn, this.storage.mediaBucketArn], tags,
      }, parent);
    }

    const web = this.web;
    this.outputs = {
      region: config.region,
      clusterName: web.clusterName,
      stableServiceName: web.stableServiceName,
      canaryServiceName: web.canaryServiceName,
      httpsListenerArn: web.httpsListenerArn,
      stableTargetGroupArn: web.stableTargetGroupArn,
      canaryTargetGroupArn: web.canaryTargetGroupArn,
      stableTargetGroupFullName: web.stableTargetGroupFullName,
      canaryTargetGroupFullName: web.canaryTargetGroupFullName,
      loadBalancerFullName: web.loadBalancerFullName,
      albDnsName: web.albDnsName,
      // Without a domain (a dev stack may have none) the probe goes to the ALB's own name.
      healthUrl: config.domain.name ? pulumi.output(`https://${config.domain.name}/health`) : pulumi.interpolate`https://${web.albDnsName}/health`,
      canaryHeaderName: CANARY_HEADER_NAME,
      canaryHeaderValue: CANARY_HEADER_VALUE,
      // The watchdog's canary alarms count for the rollout's analysis as they do for the watchdog.
      alarmNames: pulumi.all([...this.monitoring.alarmNames, ...this.rolloutWatchdog.alarmNames]),
      stableImage: config.web.image,
      canaryImage: config.web.canaryImage,
      canaryWeight: config.web.canaryWeight,
      taskSubnetIds: pulumi.all([...data.privateSubnetIds]),
      taskSecurityGroupIds: pulumi.all([data.appSecurityGroupId]),
      webContainerName: WEB_CONTAINER_NAME,
      canaryTaskDefinitionArn: web.canaryTaskDefinitionArn,
      webLogGroupName: webLogs.name,
      rolloutStateBucket: this.storage.rolloutStateBucketName,
    } satisfies RolloutOutputs;
    this.registerOutputs({ ...this.outputs });
  }
}

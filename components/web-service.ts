import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config/platform-config.ts";
import type { StackIdentity } from "../config/stack-identity.ts";
import { appContainerInputs, type AppBackends, type AppSecretArns, type AppSettings } from "./app-environment.ts";
import { containerDefinition, fargateService, fargateTask, serviceAutoscaling } from "./fargate.ts";
import { createWebLoadBalancer, type WebLoadBalancer } from "./load-balancer.ts";

/** The container the load balancer routes to, in both task definitions. */
export const WEB_CONTAINER_NAME = "web";

export interface WebServiceArgs {
  readonly vpcId: pulumi.Input<string>;
  /** The ALB's subnets. */
  readonly publicSubnetIds: readonly pulumi.Input<string>[];
  /** The tasks' subnets (no public IPs). */
  readonly privateSubnetIds: readonly pulumi.Input<string>[];
  readonly albSecurityGroupId: pulumi.Input<string>;
  readonly appSecurityGroupId: pulumi.Input<string>;
  /** The config refuses a stack without a certificate, so the HTTPS listener always has one. */
  readonly domain: PlatformConfig["domain"];
  /** Which stack this is: it names the task definition families. */
  readonly identity: StackIdentity;
  /** Images, weights, sizes, counts and the idle timeout. */
  readonly web: PlatformConfig["web"];
  readonly settings: AppSettings;
  readonly backends: AppBackends;
  readonly secrets: AppSecretArns;
  readonly roles: { readonly executionRoleArn: pulumi.Input<string>; readonly taskRoleArn: pulumi.Input<string> };
  readonly logGroupName: pulumi.Input<string>;
  /** Bucket for ALB access logs; it must already let ALB log delivery write to `alb/`. */
  readonly accessLogBucketName: pulumi.Input<string>;
  /** Production: deletion protection on the ALB. */
  readonly production: boolean;
  readonly tags: Readonly<Record<string, string>>;
}

type Track = "stable" | "canary";

/** What `createWebService` creates. */
export interface WebServiceResources extends WebLoadBalancer {
  readonly cluster: aws.ecs.Cluster;
  readonly taskDefinitions: Readonly<Record<Track, aws.ecs.TaskDefinition>>;
  readonly services: Readonly<Record<Track, aws.ecs.Service>>;
  /** The stable service's autoscaling target (the canary runs a fixed count). */
  readonly stableScaling: aws.appautoscaling.Target;
}

/**
 * The web tier: the load balancer (`createWebLoadBalancer`) in front of two ECS Fargate services, stable and
 * canary, each behind its own target group, in one cluster the worker shares. Children are named `${name}-suffix`.
 */
export function createWebService(name: string, args: WebServiceArgs, parent: pulumi.Resource): WebServiceResources {
  const { web, settings } = args;
  const port = settings.app.port;

  const lb = createWebLoadBalancer(name, {
    vpcId: args.vpcId, publicSubnetIds: args.publicSubnetIds, securityGroupId: args.albSecurityGroupId,
    certificateArn: args.domain.certificateArn, port, web,
    accessLogBucketName: args.accessLogBucketName, deletionProtection: args.production, tags: args.tags,
  }, parent);

  const cluster = new aws.ecs.Cluster(`${name}-cluster`, {
    settings: [{ name: "containerInsights", value: "enabled" }],
    tags: args.tags,
  }, { parent });

  const { environment, secrets } = appContainerInputs(settings, args.backends, args.secrets);
  const task = (track: Track, image: string) => fargateTask(`${name}-${track}-task`, {
    family: `${args.identity.project}-${args.identity.stack}-web-${track}`,
    cpu: web.cpu, memory: web.memory,
    executionRoleArn: args.roles.executionRoleArn, taskRoleArn: args.roles.taskRoleArn,
    container: pulumi.all([environment, secrets, args.logGroupName]).apply(([env, sec, logGroupName]) => containerDefinition({
      name: WEB_CONTAINER_NAME, image, port, healthPath: "/health/live", environment: env, secrets: sec,
      logGroupName, region: settings.region, streamPrefix: track,
    })),
    tags: { ...args.tags, Track: track },
  }, parent);
  const taskDefinitions = { stable: task("stable", web.image), canary: task("canary", web.canaryImage) };

  const service = (track: Track, targetGroup: aws.lb.TargetGroup, desiredCount: number, autoscaled: boolean) => fargateService(`${name}-${track}`, {
    clusterArn: cluster.arn, taskDefinitionArn: taskDefinitions[track].arn, desiredCount,
    subnetIds: args.privateSubnetIds, securityGroupId: args.appSecurityGroupId,
    loadBalancer: { targetGroupArn: targetGroup.arn, containerName: WEB_CONTAINER_NAME, containerPort: port },
    autoscaled, tags: { ...args.tags, Track: track },
  }, {
    parent,
    // A target group must be attached to a listener before a service can register into it.
    dependsOn: [lb.httpsListener],
  });
  const services = {
    stable: service("stable", lb.stableTargetGroup, web.desiredCount, true),
    canary: service("canary", lb.canaryTargetGroup, web.canaryDesiredCount, false),
  };

  const stableScaling = serviceAutoscaling(`${name}-stable`, {
    clusterName: cluster.name, serviceName: services.stable.name, min: web.desiredCount, max: web.maxCount,
    requestCountResourceLabel: pulumi.interpolate`${lb.loadBalancer.arnSuffix}/${lb.stableTargetGroup.arnSuffix}`,
  }, parent);

  return { ...lb, cluster, taskDefinitions, services, stableScaling };
}

/**
 * The web tier as one component (`createWebService`): a public ALB in front of a stable and a canary ECS
 * service. The HTTPS listener splits traffic between them by weight (config `web.canaryWeight`).
 */
export class WebService extends pulumi.ComponentResource {
  readonly clusterName: pulumi.Output<string>;
  readonly clusterArn: pulumi.Output<string>;
  readonly loadBalancerArn: pulumi.Output<string>;
  /** `app/<name>/<id>`: the CloudWatch `LoadBalancer` dimension. */
  readonly loadBalancerFullName: pulumi.Output<string>;
  readonly albDnsName: pulumi.Output<string>;
  readonly httpsListenerArn: pulumi.Output<string>;
  readonly httpListenerArn: pulumi.Output<string>;
  readonly stableTargetGroupArn: pulumi.Output<string>;
  readonly canaryTargetGroupArn: pulumi.Output<string>;
  /** `targetgroup/<name>/<id>`: the CloudWatch `TargetGroup` dimension. */
  readonly stableTargetGroupFullName: pulumi.Output<string>;
  readonly canaryTargetGroupFullName: pulumi.Output<string>;
  readonly stableServiceName: pulumi.Output<string>;
  readonly canaryServiceName: pulumi.Output<string>;
  readonly stableTaskDefinitionArn: pulumi.Output<string>;
  readonly canaryTaskDefinitionArn: pulumi.Output<string>;

  constructor(name: string, args: WebServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("readiness:app:WebService", name, {}, opts);
    const web = createWebService(name, args, this);
    this.loadBalancerArn = web.loadBalancer.arn;
    this.loadBalancerFullName = web.loadBalancer.arnSuffix;
    this.albDnsName = web.loadBalancer.dnsName;
    this.stableTargetGroupArn = web.stableTargetGroup.arn;
    this.canaryTargetGroupArn = web.canaryTargetGroup.arn;
    this.stableTargetGroupFullName = web.stableTargetGroup.arnSuffix;
    this.canaryTargetGroupFullName = web.canaryTargetGroup.arnSuffix;
    this.httpListenerArn = web.httpListener.arn;
    this.httpsListenerArn = web.httpsListener.arn;
    this.clusterName = web.cluster.name;
    this.clusterArn = web.cluster.arn;
    this.stableTaskDefinitionArn = web.taskDefinitions.stable.arn;
    this.canaryTaskDefinitionArn = web.taskDefinitions.canary.arn;
    this.stableServiceName = web.services.stable.name;
    this.canaryServiceName = web.services.canary.name;

    this.registerOutputs({
      clusterName: this.clusterName, httpsListenerArn: this.httpsListenerArn, albDnsName: this.albDnsName,
      stableServiceName: this.stableServiceName, canaryServiceName: this.canaryServiceName,
    });
  }
}
